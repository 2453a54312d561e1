import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LOCAL_AWS_ENVIRONMENT, LOCAL_TABLE_NAMES } from '../local/dynamodb-local.js';
import { envelopeCipher } from '../shared/composition/keys.js';
import { sendGridProvider } from '../shared/composition/sendgrid.js';
import type { SendPathSettings } from '../shared/composition/sending.js';
import { integrationRepository } from '../shared/composition/store.js';
import { REDELIVERY_POLICY } from '../shared/sending/redelivery-policy.js';
import { measureColdStarts } from './cold-start.js';
import { measureHealthCheckThroughput, reportHealthCheckThroughput } from './health-check-throughput.js';
import {
  BATCH_WORKERS,
  MESSAGES,
  type RunResult,
  runFloor,
  runPipeline,
  seedTenants,
  TENANTS,
} from './send-throughput.js';

/**
 * `npm run bench`: measures, side by side in one run, the send pipeline against the raw
 * SendGrid client (the floor), verify against its slowest single call, and each function's
 * bundle against a hello-world bundle. Prints a table, writes bench-results/latest.json.
 * Method and latest figures: docs/performance.md.
 */
Object.assign(process.env, LOCAL_AWS_ENVIRONMENT, { AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' });

const services = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./services.ts', import.meta.url))],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env },
  },
);
const { dynamoEndpoint, sinkUrl } = JSON.parse(
  await new Promise<string>((resolve, reject) => {
    services.once('exit', (code) => reject(new Error(`bench services exited with ${code}`)));
    createInterface({ input: services.stdout as NodeJS.ReadableStream }).once('line', resolve);
  }),
) as { dynamoEndpoint: string; sinkUrl: string };
const setSinkDelay = async (ms: number) => {
  await fetch(`${sinkUrl}/__bench/delay?ms=${ms}`, { method: 'PUT' });
};
// The same composition the functions use, configured as the benchmark's world.
const keyringDir = mkdtempSync(join(tmpdir(), 'email-integrations-bench-keys-'));
const settings: SendPathSettings = {
  integrations: { tableName: 'bench-integrations', endpoint: dynamoEndpoint },
  ledger: { tableName: 'bench-send-ledger', endpoint: dynamoEndpoint },
  suppressions: { tableName: LOCAL_TABLE_NAMES.suppressions, endpoint: dynamoEndpoint },
  keys: { keyringFile: join(keyringDir, 'keyring.json') },
  sendGrid: { baseUrls: { global: sinkUrl, eu: sinkUrl }, timeoutMs: 10_000 },
  ses: {},
  send: { leaseMs: 60_000 },
};
const repository = integrationRepository(settings.integrations);
const cipher = envelopeCipher(settings.keys);
const tenants = await seedTenants({ repository, cipher });
const concurrency = BATCH_WORKERS * REDELIVERY_POLICY.batchConcurrency;
const world = { settings, repository, cipher };

process.stdout.write(
  `email-integrations benchmark — ${MESSAGES} messages, ${TENANTS} tenants, ${BATCH_WORKERS} batches of 10 in flight (≤ ${concurrency} sends), ${cpus().length} cores, Node ${process.version}\n\n`,
);

const send: Record<string, { floor: RunResult; pipeline: RunResult; naive: RunResult }> = {};
for (const delayMs of [0, 50]) {
  await setSinkDelay(delayMs);
  // Warm-up: connections, JIT, dynalite's first writes.
  await runFloor(sinkUrl, tenants, concurrency);
  const floor = await runFloor(sinkUrl, tenants, concurrency);
  const pipeline = await runPipeline(world, tenants, false);
  const naive = await runPipeline(world, tenants, true);
  send[`${delayMs}ms`] = { floor, pipeline, naive };
}

// Verify: every SendGrid call takes 100 ms; the calls should overlap.
await setSinkDelay(100);
const provider = sendGridProvider({ ...settings.sendGrid, timeoutMs: 5_000 });
const verifyKey = `SG.${'v'.repeat(22)}.${'w'.repeat(43)}`;
await provider.verify({ apiKey: verifyKey, region: 'global' });
const verifyTimes: number[] = [];
for (let run = 0; run < 9; run += 1) {
  const started = performance.now();
  await provider.verify({ apiKey: verifyKey, region: 'global' });
  verifyTimes.push(performance.now() - started);
}
const verifyMs = verifyTimes.sort((a, b) => a - b)[4] ?? 0;
const slowestCallMs = 100;

// Health check throughput: planner → queue → checker over many tenants, sink at 100 ms.
const healthCheck = await measureHealthCheckThroughput({
  dynamoEndpoint,
  sinkUrl,
  setSinkDelay,
  keyringFile: join(keyringDir, 'keyring.json'),
});

const cold = await measureColdStarts();
services.stdin?.end();
rmSync(keyringDir, { recursive: true, force: true });

// Report.
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const rows: string[][] = [['measure', 'value', 'target', 'result']];
const check = (measure: string, value: string, target: string, pass: boolean | null) =>
  rows.push([measure, value, target, pass === null ? '' : pass ? 'PASS' : 'FAIL']);
const targets: boolean[] = [];
for (const [delay, { floor, pipeline, naive }] of Object.entries(send)) {
  const ratio = pipeline.perSecond / floor.perSecond;
  check(`send ${delay}: floor (@sendgrid/client)`, `${fixed(floor.perSecond, 0)} msg/s`, '', null);
  check(
    `send ${delay}: pipeline`,
    `${fixed(pipeline.perSecond, 0)} msg/s = ${fixed(ratio, 2)} × floor`,
    delay === '50ms' ? '≥ 0.70 × floor' : '',
    delay === '50ms' ? ratio >= 0.7 : null,
  );
  if (delay === '50ms') targets.push(ratio >= 0.7);
  check(
    `send ${delay}: naive (no caches)`,
    `${fixed(naive.perSecond, 0)} msg/s = ${fixed(naive.perSecond / floor.perSecond, 2)} × floor`,
    '',
    null,
  );
  check(
    `send ${delay}: added latency p50 / p99`,
    `${fixed(pipeline.latencyMs.p50 - floor.latencyMs.p50)} / ${fixed(pipeline.latencyMs.p99 - floor.latencyMs.p99)} ms`,
    '',
    null,
  );
  const decrypts = (pipeline.keyDecrypts / pipeline.messages) * 1000;
  check(
    `send ${delay}: KMS decrypts per 1,000 sends`,
    `${fixed(decrypts)} (naive ${fixed((naive.keyDecrypts / naive.messages) * 1000)})`,
    '≤ 25',
    decrypts <= 25,
  );
  targets.push(decrypts <= 25);
  check(
    `send ${delay}: integration reads per 1,000 sends`,
    `${fixed((pipeline.recordReads / pipeline.messages) * 1000)} (naive ${fixed((naive.recordReads / naive.messages) * 1000)})`,
    '',
    null,
  );
}
const verifyRatio = verifyMs / slowestCallMs;
check(
  'verify, every call 100 ms',
  `${fixed(verifyMs)} ms = ${fixed(verifyRatio, 2)} × slowest call`,
  '≤ 1.5 ×',
  verifyRatio <= 1.5,
);
targets.push(verifyRatio <= 1.5);
check(
  'hello-world bundle',
  `${fixed(cold.helloWorld.kilobytes)} KB, loads in ${fixed(cold.helloWorld.loadMs)} ms`,
  '',
  null,
);
for (const fn of cold.functions) {
  const loadRatio = fn.loadMs / cold.helloWorld.loadMs;
  const isSend = fn.name === 'send-email';
  check(
    `bundle ${fn.name}`,
    `${fixed(fn.kilobytes)} KB`,
    isSend ? '≤ 400 KB' : '',
    isSend ? fn.kilobytes <= 400 : null,
  );
  if (isSend) targets.push(fn.kilobytes <= 400);
  check(`load ${fn.name}`, `${fixed(fn.loadMs)} ms = ${fixed(loadRatio, 2)} × hello-world`, '≤ 3 ×', loadRatio <= 3);
  targets.push(loadRatio <= 3);
}
reportHealthCheckThroughput(healthCheck, check, targets);
const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
process.stdout.write(
  `${rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')).join('\n')}\n`,
);

mkdirSync('bench-results', { recursive: true });
const result = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, node: process.version },
  setup: {
    messages: MESSAGES,
    tenants: TENANTS,
    batchWorkers: BATCH_WORKERS,
    perBatchConcurrency: REDELIVERY_POLICY.batchConcurrency,
  },
  send,
  verify: { medianMs: verifyMs, slowestCallMs, ratio: verifyRatio },
  coldStart: cold,
  healthCheck,
  allTargetsMet: targets.every(Boolean),
};
writeFileSync('bench-results/latest.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `\n${result.allTargetsMet ? 'All targets met.' : 'Some targets missed.'} Wrote bench-results/latest.json\n`,
);
process.exitCode = result.allTargetsMet ? 0 : 1;
