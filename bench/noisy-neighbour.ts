import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { eventBridgeEvent, LOCAL_EVENT_ACCOUNT, sqsRecordOf } from '../local/endpoints/eventbridge-events.js';
import { LocalFairQueue } from '../local/local-fair-queue.js';
import type { EmailDispatcher } from '../shared/sending/email-dispatcher.js';
import { REDELIVERY_POLICY } from '../shared/sending/redelivery-policy.js';
import { SendIntake } from '../shared/sending/send-intake.js';
import { SendQueueConsumer } from '../shared/sending/send-queue-consumer.js';
import { EMAIL_SEND_REQUESTED } from '../shared/sending/send-request.js';
import { BATCH_WORKERS, detail, percentile } from './send-throughput.js';

/** The flood: one tenant publishes this many events at once. */
export const FLOOD_EVENTS = 5_000;
/** Then this many quiet tenants publish this many each. */
export const QUIET_TENANTS = 20;
export const QUIET_EVENTS_EACH = 5;

/** One run's quiet-tenant latencies, publish → provider call. */
export interface QuietLatency {
  p50: number;
  p99: number;
}

/** Asks the sink when each message arrived (epoch ms by messageId). */
export async function sinkArrivals(sinkUrl: string, messageIds: string[]): Promise<Map<string, number>> {
  const answer = await fetch(`${sinkUrl}/__bench/arrivals`, { method: 'POST', body: JSON.stringify(messageIds) });
  return new Map(Object.entries((await answer.json()) as Record<string, number>));
}

/**
 * One noisy-neighbour run: optionally tenant A's flood, then the quiet tenants' events, published
 * through the real intake onto a local queue (fair or first-in-first-out) that feeds the real send
 * consumer with {@link BATCH_WORKERS} batches in flight. Measures the quiet events from publish to
 * their arrival at the sink (the provider call); once they have all arrived, the rest of the flood is
 * dropped, so a fair run takes seconds.
 */
export async function runNoisyNeighbour(
  dispatcher: Pick<EmailDispatcher, 'dispatch' | 'prepareBatch' | 'batchCompletion' | 'batchSettles'>,
  tenants: string[],
  sinkUrl: string,
  options: { flood: boolean; fair: boolean },
): Promise<QuietLatency> {
  const logger = new Logger({ logLevel: 'SILENT' });
  const publisher = { source: 'bench', account: LOCAL_EVENT_ACCOUNT };
  const consumer = new SendQueueConsumer({
    dispatcher,
    publisher,
    redelivery: { delay: async () => undefined },
    logger,
  });
  const run = randomUUID().slice(0, 8);
  const quietIds = new Set<string>();
  let quietLeft = 0;
  let quietDone: () => void = () => undefined;
  const allQuietDone = new Promise<void>((resolve) => {
    quietDone = resolve;
  });
  const queue = new LocalFairQueue<string>({
    batchSize: REDELIVERY_POLICY.batchSize,
    workers: BATCH_WORKERS,
    maxReceiveCount: REDELIVERY_POLICY.maxReceiveCount,
    fair: options.fair,
    async consume(batch) {
      const { outcomes } = await consumer.consume(batch.map((message) => sqsRecordOf(message.payload)));
      for (const { outcome } of outcomes) {
        if (outcome.kind !== 'sent') throw new Error(`noisy-neighbour send not sent: ${JSON.stringify(outcome)}`);
      }
      for (const message of batch) {
        if (quietIds.has(message.id)) {
          quietLeft -= 1;
          if (quietLeft === 0) quietDone();
        }
      }
      return [];
    },
    deadLetter: () => undefined,
  });
  const intake = new SendIntake({
    publisher,
    logger,
    queue: {
      async enqueue(messages) {
        queue.enqueue(messages.map((message) => ({ id: message.id, group: message.group, payload: message.body })));
        return { failedIds: [] };
      },
    },
  });
  // Each intake batch of 10 is one intake invocation, which in AWS runs beside the send functions:
  // between batches the event loop serves the send batches in flight. Accepted in one go, the flood
  // held the event loop for 30–50 ms and kept the simulated send functions in lockstep, so the quiet
  // events always arrived at the same point of every batch in flight, which no AWS queue arranges.
  const publish = async (tenantId: string, messageIds: string[]) => {
    for (let start = 0; start < messageIds.length; start += 10) {
      const events = messageIds
        .slice(start, start + 10)
        .map((messageId) => eventBridgeEvent(messageId, 'bench', EMAIL_SEND_REQUESTED, detail(tenantId, messageId)));
      await intake.accept(events);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const [floodTenant, ...others] = tenants;
  if (options.flood && floodTenant) {
    await publish(
      floodTenant,
      Array.from({ length: FLOOD_EVENTS }, (_, index) => `${run}-flood-${index}`),
    );
  }
  const publishedAt = new Map<string, number>();
  for (const tenantId of others.slice(0, QUIET_TENANTS)) {
    const ids = Array.from({ length: QUIET_EVENTS_EACH }, (_, index) => `${run}-${tenantId}-${index}`);
    for (const id of ids) {
      quietIds.add(id);
      publishedAt.set(id, Date.now());
    }
    quietLeft += ids.length;
    await publish(tenantId, ids);
  }
  await allQuietDone;
  queue.clear();
  await queue.idle();
  const arrived = await sinkArrivals(sinkUrl, [...publishedAt.keys()]);
  const latencies = [...publishedAt].map(([id, at]) => {
    const arrival = arrived.get(id);
    if (arrival === undefined) throw new Error(`quiet message ${id} never reached the sink`);
    return arrival - at;
  });
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}
