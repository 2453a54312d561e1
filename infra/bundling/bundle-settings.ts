import { fileURLToPath } from 'node:url';

/**
 * How every function is bundled — shared by the stack (infra/constructs/service-function.ts) and
 * the benchmark (bench/cold-start.ts), so the figures measure what is deployed.
 */
export const BUNDLE_SETTINGS = {
  /** The Lambda runtime (Node.js 24) ships AWS SDK v3: use it rather than a bundled copy. */
  external: ['@aws-sdk/*'],
  target: 'node24',
  /**
   * form-data's 130 KB MIME table, only used for multipart uploads we never send: an empty one
   * instead; `debug`'s loggers, which must never print request details to a function's logs:
   * silent ones (test/e2e/bundled-sendgrid-client.test.ts runs the bundled client against the sandbox).
   */
  alias: {
    'mime-db': fileURLToPath(new URL('./mime-db-stub.cjs', import.meta.url)),
    debug: fileURLToPath(new URL('./debug-stub.cjs', import.meta.url)),
  },
} as const;
