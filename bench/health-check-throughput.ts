import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Client } from '@sendgrid/client';
import { LocalSqsQueue } from '../local/local-sqs-queue.js';
import { dynamoClientConfig, integrationRepository } from '../shared/composition/store.js';
import { type DataKeySource, EnvelopeCipher } from '../shared/crypto/envelope.js';
import { LocalKeyring } from '../shared/crypto/local-keyring.js';
import { HEALTH_CHECK_CAPACITY } from '../shared/integrations/health-check-capacity.js';
import { createCheckHandler, createPlanHandler } from '../shared/integrations/health-check-handlers.js';
import type { CheckRequest, PlanRequest } from '../shared/integrations/health-queues.js';
import { HealthRunStore, healthRunTableCreateInput } from '../shared/integrations/health-runs.js';
import { secretContext } from '../shared/integrations/integration-record.js';
import { newIntegrationRecord } from '../shared/integrations/integration-repository.js';
import { integrationTableCreateInput } from '../shared/integrations/integration-table.js';
import { mapBounded } from '../shared/map-bounded.js';
import { createProviderRegistry } from '../shared/providers/provider-registry.js';
import { SendGridApi } from '../shared/providers/sendgrid/sendgrid-api.js';

/**
 * Tenants in the measured run (`BENCH_HEALTH_TENANTS`; default 5,000, which a 2-core machine checks
 * in well under a minute; `BENCH_HEALTH_TENANTS=20000` runs the figure, docs/performance.md
 * says why the smaller count extrapolates).
 */
export const HEALTH_BENCH_TENANTS = Number(process.env.BENCH_HEALTH_TENANTS ?? 5_000);
/** Tenants in the warm-up run (its own tables). */
const WARM_UP_TENANTS = 500;
/** The target: every tenant checked once a day. */
export const TENANTS_PER_DAY_TARGET = 1_000_000;
/** Length of the windows whose rates give the median and spread. */
const WINDOW_MS = 5_000;

/** What the health check section measured. */
export interface HealthCheckThroughput {
  tenants: number;
  /** Checks in flight at once locally (pollers × checks per invocation), as the stack's defaults. */
  concurrency: number;
  sinkDelayMs: number;
  planSeconds: number;
  checkSeconds: number;
  /** Tenants checked per minute over the whole check phase. */
  perMinute: number;
  /** Median and spread of the per-window rates (tenants per minute) in the check phase. */
  windows: { medianPerMinute: number; minPerMinute: number; maxPerMinute: number; count: number };
  kmsDecryptsPerTenant: number;
  providerCallsPerTenant: number;
  /** What the checker's stack concurrency does, at the measured rate per unit of concurrency. */
  projection: {
    stackConcurrency: number;
    perSecondByConcurrency: number;
    /** The share of the account's KMS quota the health check may use, in decrypts per second. */
    kmsBudgetPerSecond: number;
    perSecondByKms: number;
    hoursForMillion: number;
    boundBy: 'concurrency' | 'kms';
  };
  summary: { planned: number; checked: number; outcomes: Record<string, number>; finished: boolean };
}

/**
 * Health check throughput: `tenants` integrations (real envelope-encrypted keys, local keyring)
 * in dynalite, checked by the real planner and checker handlers through the local queue
 * emulation at the stack's concurrency, against the sink answering SendGrid's verify calls after
 * `sinkDelayMs`. KMS decrypts are counted on the keyring (the stand-in for KMS), provider calls on
 * the real SendGrid client. A warm-up run on tables of its own comes first.
 */
export async function measureHealthCheckThroughput(options: {
  dynamoEndpoint: string;
  sinkUrl: string;
  setSinkDelay(ms: number): Promise<void>;
  keyringFile: string;
  sinkDelayMs?: number;
  tenants?: number;
}): Promise<HealthCheckThroughput> {
  const sinkDelayMs = options.sinkDelayMs ?? 100;
  await options.setSinkDelay(sinkDelayMs);
  await healthRun({ ...options, tenants: WARM_UP_TENANTS, prefix: 'bench-health-warm', sinkDelayMs });
  return healthRun({
    ...options,
    tenants: options.tenants ?? HEALTH_BENCH_TENANTS,
    prefix: 'bench-health',
    sinkDelayMs,
  });
}

async function healthRun(options: {
  dynamoEndpoint: string;
  sinkUrl: string;
  keyringFile: string;
  tenants: number;
  prefix: string;
  sinkDelayMs: number;
}): Promise<HealthCheckThroughput> {
  const tables = { integrations: `${options.prefix}-integrations`, runs: `${options.prefix}-runs` };
  const dynamo = new DynamoDBClient({ endpoint: options.dynamoEndpoint });
  await dynamo.send(new CreateTableCommand(integrationTableCreateInput(tables.integrations)));
  await dynamo.send(new CreateTableCommand(healthRunTableCreateInput(tables.runs)));
  dynamo.destroy();

  // KMS stand-in and SendGrid client, each counting what the check asks of it.
  let decrypts = 0;
  const keyring = LocalKeyring.fromFile(options.keyringFile);
  const countingKeys: DataKeySource = {
    generateDataKey: (context) => keyring.generateDataKey(context),
    decryptDataKey: (...args) => {
      decrypts += 1;
      return keyring.decryptDataKey(...args);
    },
  };
  const cipher = new EnvelopeCipher(countingKeys);
  let providerCalls = 0;
  const client = new Client();
  const request = client.request.bind(client);
  client.request = ((...args: Parameters<Client['request']>) => {
    providerCalls += 1;
    return request(...args);
  }) as Client['request'];
  const providers = createProviderRegistry({
    sendGrid: {
      api: new SendGridApi({ baseUrls: { global: options.sinkUrl, eu: options.sinkUrl }, client, timeoutMs: 10_000 }),
    },
    ses: {},
  });
  const repository = integrationRepository({ tableName: tables.integrations, endpoint: options.dynamoEndpoint });
  const runs = new HealthRunStore({
    tableName: tables.runs,
    clientConfig: dynamoClientConfig({ endpoint: options.dynamoEndpoint }),
  });

  // Seeding is set-up, not measured: one integration per tenant with its own encrypted key, as
  // the repository creates it, written 25 at a time.
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: options.dynamoEndpoint }));
  const tenantIds = Array.from({ length: options.tenants }, (_, index) => `health-${index}`);
  const chunks: string[][] = [];
  for (let start = 0; start < tenantIds.length; start += 25) chunks.push(tenantIds.slice(start, start + 25));
  await mapBounded(chunks, 8, async (chunk) => {
    const now = new Date().toISOString();
    const items = await Promise.all(
      chunk.map(async (tenantId) => {
        const apiKey = `SG.${randomBytes(16).toString('base64url').slice(0, 22)}.${randomBytes(32).toString('base64url').slice(0, 43)}`;
        const secret = await cipher.encrypt(apiKey, secretContext(tenantId, 'sendgrid'));
        return newIntegrationRecord(
          tenantId,
          {
            provider: 'sendgrid',
            region: 'global',
            keyId: apiKey.slice(3, 25),
            emails: ['info@bench.example'],
            status: 'active',
            keyVersion: 1,
            lastVerifiedAt: now,
            secret,
          },
          now,
        );
      }),
    );
    let pending: Record<string, unknown>[] = items.map((item) => ({ PutRequest: { Item: item } }));
    while (pending.length > 0) {
      const answer = await documents.send(
        new BatchWriteCommand({ RequestItems: { [tables.integrations]: pending as never } }),
      );
      pending = (answer.UnprocessedItems?.[tables.integrations] ?? []) as Record<string, unknown>[];
    }
  });
  documents.destroy();
  decrypts = 0;

  const silent = new Logger({ logLevel: 'SILENT' });
  const metrics = { addMetric: () => undefined };
  const queue = <T>(name: string, batchSize: number, maxConcurrency: number) =>
    new LocalSqsQueue<T>({
      name,
      batchSize,
      maxConcurrency,
      maxReceiveCount: HEALTH_CHECK_CAPACITY.maxReceiveCount,
      visibilityMs: 1_000,
    });
  const plans = queue<PlanRequest>('bench-health-plans', 1, HEALTH_CHECK_CAPACITY.plannerMaxConcurrency);
  const checks = queue<CheckRequest>(
    'bench-health-checks',
    HEALTH_CHECK_CAPACITY.batchSize,
    HEALTH_CHECK_CAPACITY.checkerMaxConcurrency,
  );
  const plan = createPlanHandler({
    directory: repository,
    runs,
    plans,
    checks,
    pageSize: 1_000,
    leaseMs: 360_000,
    reserveMs: 0,
    logger: silent,
    metrics,
  });
  const checkedAt: number[] = [];
  const check = createCheckHandler({
    repository,
    cipher,
    providers,
    runs,
    concurrency: HEALTH_CHECK_CAPACITY.checksPerInvocation,
    claimLeaseMs: 120_000,
    logger: silent,
    metrics,
  });

  const planStarted = performance.now();
  await plans.sendAll([{ scope: 'all' }]);
  let runId = '';
  await plans.drain(async (event) => {
    const answer = await plan(event);
    runId ||= answer.runs[0]?.runId ?? '';
    return answer;
  });
  const checkStarted = performance.now();
  await checks.drain(async (event) => {
    const answer = await check(event);
    const now = performance.now();
    for (let index = 0; index < event.Records.length - answer.batchItemFailures.length; index += 1) checkedAt.push(now);
    return answer;
  });
  const checkEnded = performance.now();
  const run = await runs.get(runId);

  const checkSeconds = (checkEnded - checkStarted) / 1000;
  const perMinute = (checkedAt.length / checkSeconds) * 60;
  const windows = windowRates(checkedAt, checkStarted, checkEnded);
  const concurrency = HEALTH_CHECK_CAPACITY.checkerMaxConcurrency * HEALTH_CHECK_CAPACITY.checksPerInvocation;
  const kmsDecryptsPerTenant = decrypts / Math.max(1, checkedAt.length);
  // The measured rate per check in flight, times the stack's checks in flight. Locally all of them
  // share one machine (and dynalite), so this is a floor for AWS, where every checker has its own.
  const perSecondPerUnit = windows.medianPerMinute / 60 / concurrency;
  const perSecondByConcurrency = perSecondPerUnit * concurrency;
  const kmsBudgetPerSecond = HEALTH_CHECK_CAPACITY.kmsDecryptQuotaPerSecond * HEALTH_CHECK_CAPACITY.kmsQuotaShare;
  const perSecondByKms = kmsBudgetPerSecond / Math.max(kmsDecryptsPerTenant, 1e-9);
  const perSecond = Math.min(perSecondByConcurrency, perSecondByKms);
  return {
    tenants: options.tenants,
    concurrency,
    sinkDelayMs: options.sinkDelayMs,
    planSeconds: (checkStarted - planStarted) / 1000,
    checkSeconds,
    perMinute,
    windows,
    kmsDecryptsPerTenant,
    providerCallsPerTenant: providerCalls / Math.max(1, checkedAt.length),
    projection: {
      stackConcurrency: concurrency,
      perSecondByConcurrency,
      kmsBudgetPerSecond,
      perSecondByKms,
      hoursForMillion: TENANTS_PER_DAY_TARGET / perSecond / 3600,
      boundBy: perSecondByKms < perSecondByConcurrency ? 'kms' : 'concurrency',
    },
    summary: {
      planned: run?.planned ?? 0,
      checked: run?.checked ?? 0,
      outcomes: run?.outcomes ?? {},
      finished: run?.finishedAt !== undefined,
    },
  };
}

/** Tenants per minute in each whole window of the check phase: median, lowest and highest. */
function windowRates(checkedAt: number[], started: number, ended: number) {
  const count = Math.max(1, Math.floor((ended - started) / WINDOW_MS));
  const perWindow = new Array<number>(count).fill(0);
  for (const at of checkedAt) {
    const index = Math.floor((at - started) / WINDOW_MS);
    if (index < count) perWindow[index] = (perWindow[index] ?? 0) + 1;
  }
  const rates = perWindow.map((checked) => (checked / WINDOW_MS) * 60_000).sort((a, b) => a - b);
  if (count === 1) rates[0] = (checkedAt.length / Math.max(1, ended - started)) * 60_000;
  return {
    medianPerMinute: rates[Math.floor(rates.length / 2)] ?? 0,
    minPerMinute: rates[0] ?? 0,
    maxPerMinute: rates[rates.length - 1] ?? 0,
    count,
  };
}

/** Adds the section's rows to the benchmark's table, each figure with its target; records pass/fail. */
export function reportHealthCheckThroughput(
  result: HealthCheckThroughput,
  check: (measure: string, value: string, target: string, pass: boolean | null) => void,
  targets: boolean[],
): void {
  const fixed = (value: number, digits = 1) => value.toFixed(digits);
  const thousands = (value: number) => Math.round(value).toLocaleString('en-US');
  const label = `health check, ${thousands(result.tenants)} tenants, sink ${result.sinkDelayMs} ms`;
  check(
    `${label}: tenants checked per minute`,
    `${thousands(result.windows.medianPerMinute)} (median of ${result.windows.count} × 5 s; ${thousands(result.windows.minPerMinute)}–${thousands(result.windows.maxPerMinute)}; overall ${thousands(result.perMinute)}) at ${result.concurrency} in flight`,
    '',
    null,
  );
  const once =
    result.summary.planned === result.tenants && result.summary.checked === result.tenants && result.summary.finished;
  check(
    `${label}: run planned, checked, finished`,
    `${thousands(result.summary.planned)} / ${thousands(result.summary.checked)} / ${result.summary.finished ? 'yes' : 'no'} (planning ${fixed(result.planSeconds)} s)`,
    'every tenant once',
    once,
  );
  targets.push(once);
  check(
    `${label}: KMS decrypts per tenant`,
    fixed(result.kmsDecryptsPerTenant, 2),
    '≤ 1',
    result.kmsDecryptsPerTenant <= 1,
  );
  targets.push(result.kmsDecryptsPerTenant <= 1);
  check(
    `${label}: provider calls per tenant`,
    fixed(result.providerCallsPerTenant, 2),
    '≤ 3',
    result.providerCallsPerTenant <= 3,
  );
  targets.push(result.providerCallsPerTenant <= 3);
  const projection = result.projection;
  const fits = projection.hoursForMillion <= 24;
  check(
    'health check: 1,000,000 tenants at the stack’s defaults',
    `${fixed(projection.hoursForMillion, 2)} h (${fixed(projection.perSecondByConcurrency, 0)}/s by ${projection.stackConcurrency} in flight; KMS share ${fixed(projection.kmsBudgetPerSecond, 0)} decrypts/s → ${fixed(projection.perSecondByKms, 0)}/s; bound by ${projection.boundBy})`,
    '≤ 24 h',
    fits,
  );
  targets.push(fits);
}
