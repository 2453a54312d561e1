import { build } from 'esbuild';
import { BUNDLE_SETTINGS } from './bundle-settings.js';

/**
 * Bundles an entry as the stack bundles a function (infra/constructs/service-function.ts):
 * CommonJS, minified, the runtime's AWS SDK external, the same aliases. Only the syntax target is
 * this machine's Node instead of the Lambda runtime's, since this Node loads the result (the
 * benchmark's module-load figures, the test of the bundled SendGrid client).
 */
export async function bundleLikeTheStack(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: [...BUNDLE_SETTINGS.external],
    alias: { ...BUNDLE_SETTINGS.alias },
    logLevel: 'silent',
  });
}
