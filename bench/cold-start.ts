import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_SETTINGS } from '../infra/bundling/bundle-settings.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The environment the functions read when their modules load (values are placeholders). */
const LOAD_ENV = {
  AWS_REGION: 'eu-central-1',
  TENANT_CLAIM: 'custom:tenant_id',
  TABLE_NAME: 'bench',
  SEND_LEDGER_TABLE_NAME: 'bench-ledger',
  SUPPRESSION_TABLE_NAME: 'bench-suppressions',
  OUTCOME_EVENT_BUS_NAME: 'bench-bus',
  KMS_KEY_ID: 'arn:aws:kms:eu-central-1:000000000000:key/bench',
  SEND_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/bench',
  POWERTOOLS_SERVICE_NAME: 'email-integrations',
  AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
};

export interface BundleFigure {
  name: string;
  kilobytes: number;
  loadMs: number;
}

/** Bundles like the stack does (infra/constructs/service-function.ts): CommonJS, minified, runtime SDK external. */
async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    // The stack targets the Lambda runtime (Node 24); here the bundle is loaded by this machine's
    // Node, so it targets that one, or newer syntax would be measured through Node's slower paths.
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: [...BUNDLE_SETTINGS.external],
    alias: { ...BUNDLE_SETTINGS.alias },
    logLevel: 'silent',
  });
}

/**
 * Median wall time of a fresh Node process that loads the bundle and exits: what a cold start
 * pays before the first invocation (runtime boot plus module load), measured the same way for
 * the hello-world bundle.
 */
function loadTime(file: string, runs: number): number {
  const times = Array.from({ length: runs }, () => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], {
      env: { ...process.env, ...LOAD_ENV },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  });
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? 0;
}

/** Bundle size and module-load time per function, and of a hello-world bundle measured the same way. */
export async function measureColdStarts(runs = 11): Promise<{ helloWorld: BundleFigure; functions: BundleFigure[] }> {
  // Inside the repository, so the external AWS SDK resolves from node_modules as the runtime's would.
  const outDir = join(root, 'bench-results', 'bundles');
  mkdirSync(outDir, { recursive: true });
  const hello = join(outDir, 'hello-world.ts');
  writeFileSync(hello, 'export const handler = async () => ({ statusCode: 200, body: "hello" });\n');
  const figure = async (name: string, entry: string): Promise<BundleFigure> => {
    const outfile = join(outDir, `${name}.cjs`);
    await bundle(entry, outfile);
    return { name, kilobytes: statSync(outfile).size / 1024, loadMs: loadTime(outfile, runs) };
  };
  const helloWorld = await figure('hello-world', hello);
  const functions: BundleFigure[] = [];
  for (const file of readdirSync(join(root, 'functions'))
    .filter((name) => name.endsWith('.ts'))
    .sort()) {
    functions.push(await figure(file.replace(/\.ts$/, ''), join(root, 'functions', file)));
  }
  return { helloWorld, functions };
}
