import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLikeTheStack as bundle } from '../infra/bundling/bundle-like-the-stack.js';

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
  RATE_LIMIT_TABLE_NAME: 'bench-key-checks',
  SES_DOMAIN_TABLE_NAME: 'bench-ses-domains',
  SEND_EVENT_SOURCE: 'app.automations',
  SEND_EVENT_ACCOUNT: '000000000000',
  SES_ACCOUNT_ID: '000000000000',
  SES_CONFIGURATION_SET: 'bench',
  SES_REGIONS: 'eu-central-1',
  HEALTH_CHECK_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/bench-checks',
  HEALTH_PLAN_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/bench-plans',
  HEALTH_RUN_TABLE_NAME: 'bench-health-runs',
  EVENT_WEBHOOK_TABLE_NAME: 'bench-event-webhooks',
  FEEDBACK_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/000000000000/bench-feedback',
  PUBLIC_API_URL: 'https://api.bench.example',
  POWERTOOLS_SERVICE_NAME: 'email-integrations',
  AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
};

export interface BundleFigure {
  name: string;
  kilobytes: number;
  loadMs: number;
}

/** Loads per function, each alternating with a hello-world load; the figure is their median. */
export const COLD_START_RUNS = 9;

/** Wall time of one fresh Node process that loads the bundle and exits. */
function loadOnce(file: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], {
    env: { ...process.env, ...LOAD_ENV },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * What a cold start pays before the first invocation (runtime boot plus module load): fresh Node
 * processes loading the bundle, each between two loads of the hello-world bundle (hello, function,
 * hello, function, …, hello). The ratio is taken per function load, against the mean of the two
 * hello-world loads around it, and the figure is the median of those ratios: the machine's speed
 * drifts over a series (the hello-world median moved from 90 to 135 ms between runs of one day),
 * and a ratio of two medians taken over the whole series lets that drift in.
 */
function loadTimes(file: string, helloFile: string, runs: number): { loadMs: number; helloMs: number; ratio: number } {
  const own: number[] = [];
  // One of each first, not counted: the file system cache.
  loadOnce(helloFile);
  loadOnce(file);
  const hello = [loadOnce(helloFile)];
  for (let run = 0; run < runs; run += 1) {
    own.push(loadOnce(file));
    hello.push(loadOnce(helloFile));
  }
  const ratios = own.map((ms, run) => ms / (((hello[run] as number) + (hello[run + 1] as number)) / 2));
  return { loadMs: median(own), helloMs: median(hello), ratio: median(ratios) };
}

/** A function's bundle, and its load time with the hello-world bundle's measured alongside. */
export interface LoadFigure extends BundleFigure {
  /** The hello-world bundle's median load time in the same alternating series. */
  helloMs: number;
  /** The median of the function's loads, each against the hello-world loads just before and after it. */
  ratio: number;
}

/** Bundle size and module-load time per function, each against a hello-world bundle measured alternately with it. */
export async function measureColdStarts(
  runs = COLD_START_RUNS,
): Promise<{ helloWorld: BundleFigure; functions: LoadFigure[] }> {
  // Inside the repository, so the external AWS SDK resolves from node_modules as the runtime's would.
  const outDir = join(root, 'bench-results', 'bundles');
  mkdirSync(outDir, { recursive: true });
  const hello = join(outDir, 'hello-world.ts');
  writeFileSync(hello, 'export const handler = async () => ({ statusCode: 200, body: "hello" });\n');
  const helloFile = join(outDir, 'hello-world.cjs');
  await bundle(hello, helloFile);
  // Every bundle first, then every load: esbuild's own process works on after a build returns,
  // and its CPU must not land on the loads measured next.
  const bundles: Array<{ name: string; outfile: string }> = [];
  for (const file of readdirSync(join(root, 'functions'))
    .filter((name) => name.endsWith('.ts'))
    .sort()) {
    const name = file.replace(/\.ts$/, '');
    const outfile = join(outDir, `${name}.cjs`);
    await bundle(join(root, 'functions', file), outfile);
    bundles.push({ name, outfile });
  }
  const functions: LoadFigure[] = bundles.map(({ name, outfile }) => ({
    name,
    kilobytes: statSync(outfile).size / 1024,
    ...loadTimes(outfile, helloFile, runs),
  }));
  const helloWorld = {
    name: 'hello-world',
    kilobytes: statSync(helloFile).size / 1024,
    loadMs: median(functions.map((fn) => fn.helloMs)),
  };
  return { helloWorld, functions };
}
