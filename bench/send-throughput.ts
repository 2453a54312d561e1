import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Client } from '@sendgrid/client';
import { LOCAL_EVENT_ACCOUNT, sqsRecord } from '../local/endpoints/eventbridge-events.js';
import { emailDispatcher, type SendPathSettings } from '../shared/composition/sending.js';
import type { EnvelopeCipher } from '../shared/crypto/envelope.js';
import { secretContext } from '../shared/integrations/integration-record.js';
import type { IntegrationRepository } from '../shared/integrations/integration-repository.js';
import type { BatchContext } from '../shared/sending/email-dispatcher.js';
import { REDELIVERY_POLICY } from '../shared/sending/redelivery-policy.js';
import { SendQueueConsumer } from '../shared/sending/send-queue-consumer.js';
import { EMAIL_SEND_REQUESTED } from '../shared/sending/send-request.js';
import { CACHE_WINDOWS, SendingCredentials } from '../shared/sending/sending-credentials.js';

export const TENANTS = 50;
export const MESSAGES = 2_000;
/** Batches in flight at once, as send functions running concurrently (the stack's cap is 5). */
export const BATCH_WORKERS = 5;
const BATCH_SIZE = 10;

export interface RunResult {
  messages: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number };
  keyDecrypts: number;
  recordReads: number;
  /** Messages the pipeline handed back to the queue (a retry outcome) and got again, as SQS redelivers. */
  redelivered: number;
}

export interface PipelineWorld {
  /** Tables, keyring and the sink as SendGrid: what the composition module builds the pipeline from. */
  settings: SendPathSettings;
  repository: IntegrationRepository;
  cipher: EnvelopeCipher;
}

/** Saves one integration per tenant, with a real encrypted key, as the API would. */
export async function seedTenants(world: Pick<PipelineWorld, 'repository' | 'cipher'>): Promise<string[]> {
  const tenants = Array.from({ length: TENANTS }, (_, index) => `bench-tenant-${index}`);
  for (const tenantId of tenants) {
    const apiKey = `SG.${randomBytes(16).toString('base64url').slice(0, 22)}.${randomBytes(32).toString('base64url').slice(0, 43)}`;
    const secret = await world.cipher.encrypt(apiKey, secretContext(tenantId, 'sendgrid'));
    await world.repository.create(tenantId, (now) => ({
      provider: 'sendgrid',
      region: 'global',
      keyId: apiKey.slice(3, 25),
      emails: ['info@bench.example', 'noreply@bench.example'],
      status: 'active',
      keyVersion: 1,
      lastVerifiedAt: now,
      secret,
    }));
  }
  return tenants;
}

/** A send request of the benchmark. */
export function detail(tenantId: string, messageId: string) {
  return {
    tenantId,
    messageId,
    audience: 'customer',
    to: [{ email: 'someone@customer.example' }],
    subject: 'Benchmark',
    text: 'Hello from the benchmark.',
  };
}

/** The p-th percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * Runs `work` over batches with {@link BATCH_WORKERS} batches in flight. What a batch hands back
 * (`work` returns it) is queued again as a batch of its own, as SQS delivers a failed item again.
 */
async function overBatches<T>(items: T[], work: (batch: T[]) => Promise<T[]>): Promise<void> {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH_SIZE) batches.push(items.slice(start, start + BATCH_SIZE));
  let next = 0;
  let running = 0;
  // Resolved whenever a batch ends, so an idle worker looks again for what it handed back.
  let signal: () => void = () => undefined;
  let batchEnded = new Promise<void>((resolve) => {
    signal = resolve;
  });
  await Promise.all(
    Array.from({ length: BATCH_WORKERS }, async () => {
      // A worker stops only when nothing is queued and no other worker's batch can hand anything back.
      while (next < batches.length || running > 0) {
        if (next >= batches.length) {
          await batchEnded;
          continue;
        }
        running += 1;
        try {
          const again = await work(batches[next++] as T[]);
          if (again.length > 0) batches.push(again);
        } finally {
          running -= 1;
          signal();
          batchEnded = new Promise<void>((resolve) => {
            signal = resolve;
          });
        }
      }
    }),
  );
}

/** Deliveries of one message before the benchmark gives up on it: as many as the stack's queue makes before its DLQ. */
const MAX_DELIVERIES = REDELIVERY_POLICY.maxReceiveCount;

/**
 * The real send consumer (dispatcher, ledger on dynalite, local keyring, SendGrid transport) over
 * SQS-shaped batches. `naive` turns the caches off: every message reads the record and decrypts.
 */
export async function runPipeline(world: PipelineWorld, tenants: string[], naive: boolean): Promise<RunResult> {
  let keyDecrypts = 0;
  let recordReads = 0;
  const countingCipher = {
    decrypt: (...args: Parameters<EnvelopeCipher['decrypt']>) => {
      keyDecrypts += 1;
      return world.cipher.decrypt(...args);
    },
  };
  const countingRepository = {
    get: (tenantId: string) => {
      recordReads += 1;
      return world.repository.get(tenantId);
    },
  };
  const credentials = new SendingCredentials(
    { repository: countingRepository, cipher: countingCipher },
    naive ? { recordMs: 0, keyMs: 0 } : CACHE_WINDOWS,
  );
  const dispatcher = emailDispatcher(world.settings, { credentials, logger: new Logger({ logLevel: 'SILENT' }) });
  const latencies: number[] = [];
  let redelivered = 0;
  const timed = {
    prepareBatch: (details: readonly unknown[]) => dispatcher.prepareBatch(details),
    batchCompletion: (sends: number) => dispatcher.batchCompletion(sends),
    batchSettles: (sends: number) => dispatcher.batchSettles(sends),
    dispatch: async (body: unknown, eventId: string, batch?: BatchContext) => {
      const started = performance.now();
      const outcome = await dispatcher.dispatch(body, eventId, batch);
      // A retry (a dependency that did not answer) comes back below; any other end but sent is a fault.
      if (outcome.kind === 'retry') return outcome;
      latencies.push(performance.now() - started);
      if (outcome.kind !== 'sent') throw new Error(`benchmark send not sent: ${JSON.stringify(outcome)}`);
      return outcome;
    },
  };
  const consumer = new SendQueueConsumer({
    dispatcher: timed,
    redelivery: { delay: async () => undefined },
    logger: new Logger({ logLevel: 'SILENT' }),
    publisher: { source: 'bench', account: LOCAL_EVENT_ACCOUNT },
  });
  const run = randomUUID().slice(0, 8);
  const records = Array.from({ length: MESSAGES }, (_, index) =>
    sqsRecord(
      randomUUID(),
      'bench',
      EMAIL_SEND_REQUESTED,
      detail(tenants[index % tenants.length] as string, `${run}-${index}`),
    ),
  );
  const started = performance.now();
  await overBatches(records, async (batch) => {
    const { batchItemFailures, outcomes } = await consumer.consume(batch);
    const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
    const again = batch.filter((record) => failed.has(record.messageId));
    for (const record of again) {
      const deliveries = Number(record.attributes.ApproximateReceiveCount) + 1;
      if (deliveries >= MAX_DELIVERIES) {
        const outcome = outcomes.find((entry) => entry.sqsMessageId === record.messageId)?.outcome;
        throw new Error(`benchmark send not sent after ${deliveries} deliveries: ${JSON.stringify(outcome)}`);
      }
      record.attributes.ApproximateReceiveCount = String(deliveries);
    }
    redelivered += again.length;
    return again;
  });
  return { ...summarize(latencies, performance.now() - started, keyDecrypts, recordReads), redelivered };
}

/**
 * The floor: the same messages posted with `@sendgrid/client` straight to the sink, at the same
 * concurrency (batch workers × the consumer's per-batch bound), with the same client settings as
 * the send path's (keep-alive agents, no redirects, no proxy lookup).
 */
export async function runFloor(sinkUrl: string, tenants: string[], concurrency: number): Promise<RunResult> {
  const client = new Client();
  client.setDefaultRequest({
    url: '',
    baseUrl: sinkUrl,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    maxRedirects: 0,
    proxy: false,
  } as never);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < MESSAGES) {
        const index = next++;
        const tenantId = tenants[index % tenants.length] as string;
        const begin = performance.now();
        await client.request({
          method: 'POST',
          url: '/v3/mail/send',
          headers: { Authorization: `Bearer SG.floor-${tenantId}` },
          body: {
            personalizations: [
              { to: [{ email: 'someone@customer.example' }], custom_args: { messageId: `floor-${index}` } },
            ],
            from: { email: 'info@bench.example' },
            subject: 'Benchmark',
            content: [{ type: 'text/plain', value: 'Hello from the benchmark.' }],
          },
        });
        latencies.push(performance.now() - begin);
      }
    }),
  );
  return { ...summarize(latencies, performance.now() - started, 0, 0), redelivered: 0 };
}

function summarize(
  latencies: number[],
  elapsedMs: number,
  keyDecrypts: number,
  recordReads: number,
): Omit<RunResult, 'redelivered'> {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    messages: latencies.length,
    seconds: elapsedMs / 1000,
    perSecond: latencies.length / (elapsedMs / 1000),
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
    keyDecrypts,
    recordReads,
  };
}
