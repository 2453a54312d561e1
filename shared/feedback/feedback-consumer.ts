import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Slots } from '../map-bounded.js';
import { describeError } from '../observability/logger.js';
import { FEEDBACK_METRICS } from '../observability/metric-names.js';
import type { MetricsSink } from '../sending/send-metrics.js';
import type { FeedbackApplied, MessageFeedback } from './message-feedback.js';
import { type FeedbackBatch, feedbackBatchSchema, type NeutralFeedback } from './provider-feedback.js';

/**
 * Acts on what a batch changed, after the ledger write (suppressing an address, publishing
 * `Email Delivery Updated`). Called once per applied message with changes; a duplicate batch
 * changes nothing and calls nobody. A listener that throws is logged and counted
 * (`FeedbackListenerFailures`), never retried through the queue: listeners are observers. What
 * must not be lost runs as the message's pending consequences ({@link FeedbackConsequenceRunner}).
 */
export type FeedbackListener = (applied: FeedbackApplied) => Promise<void>;

/**
 * Runs the consequences the ledger holds as still to do for a message (suppressing an address,
 * publishing `Email Delivery Updated`), after the ledger write and again on every delivery that
 * finds some left (a duplicate batch included). When it throws, the record is delivered again,
 * so a consequence that failed is retried until it succeeds (or the record reaches the
 * dead-letter queue, with the consequences still recorded on the message).
 */
export type FeedbackConsequenceRunner = (applied: FeedbackApplied) => Promise<void>;

/** What the feedback consumer needs. */
export interface FeedbackConsumerDeps {
  feedback: Pick<MessageFeedback, 'apply'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: MetricsSink & { publishStoredMetrics?(): void };
  listeners?: FeedbackListener[];
  consequences?: FeedbackConsequenceRunner;
}

/** The feedback function's handler: SQS batch in, partial batch response out. */
export type FeedbackHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** Counts of one batch, published once per invocation. */
type Counts = Record<keyof typeof FEEDBACK_METRICS, number>;

/**
 * The feedback queue's consumer, provider-neutral: each record is `{provider, tenantId, events}`
 * (SendGrid's webhook, SES's configuration-set events), its events grouped by our messageId and
 * applied within that tenant only. Events for messages the tenant does not have (another
 * tenant's included) are counted, not errors; a record whose message is still being sent, or
 * whose write failed, is reported back for redelivery (ReportBatchItemFailures).
 */
export function createFeedbackHandler(deps: FeedbackConsumerDeps): FeedbackHandler {
  return async function handleFeedbackBatch(event) {
    const counts = Object.fromEntries(Object.keys(FEEDBACK_METRICS).map((name) => [name, 0])) as Counts;
    // A batch's messages are worked on at once, a bounded number at a time: each is its own ledger
    // item, and their announcements then share PutEvents calls (CoalescingOutcomePublisher).
    const slots = new Slots(MESSAGES_AT_ONCE);
    const complete = await Promise.all(event.Records.map((record) => consumeRecord(deps, record, counts, slots)));
    const batchItemFailures: SQSBatchItemFailure[] = event.Records.flatMap((record, index) =>
      complete[index] ? [] : [{ itemIdentifier: record.messageId }],
    );
    for (const [name, value] of Object.entries(counts) as Array<[keyof Counts, number]>) {
      if (value > 0) deps.metrics.addMetric(FEEDBACK_METRICS[name], MetricUnit.Count, value);
    }
    deps.metrics.publishStoredMetrics?.();
    return { batchItemFailures };
  };
}

/** Messages applied at once in one invocation (events of one message are always applied together, in order). */
export const MESSAGES_AT_ONCE = 10;

/** Applies one record; false when the queue should deliver it again. */
async function consumeRecord(
  deps: FeedbackConsumerDeps,
  record: SQSRecord,
  counts: Counts,
  slots: Slots,
): Promise<boolean> {
  const parsed = feedbackBatchSchema.safeParse(safeJson(record.body));
  if (!parsed.success) {
    // Another delivery cannot fix it: drop it, loudly.
    counts.invalidMessages += 1;
    deps.logger.error('dropped a feedback message that is not a feedback batch', { sqsMessageId: record.messageId });
    return true;
  }
  const batch = parsed.data as FeedbackBatch;
  const applied = await Promise.all(
    [...byMessage(batch, counts)].map(([messageId, events]) =>
      slots.run(() => applyToMessage(deps, batch, messageId, events, counts)),
    ),
  );
  return applied.every(Boolean);
}

/** Applies one message's events and runs what follows; false when the record must come again. */
async function applyToMessage(
  deps: FeedbackConsumerDeps,
  batch: FeedbackBatch,
  messageId: string,
  events: NeutralFeedback[],
  counts: Counts,
): Promise<boolean> {
  let complete = true;
  try {
    const applied = await deps.feedback.apply(batch.tenantId, batch.provider, messageId, events);
    count(applied, events.length, counts);
    deps.logger.info('feedback applied', {
      tenantId: batch.tenantId,
      messageId,
      provider: batch.provider,
      outcome: applied.outcome,
      ...(applied.status ? { statusFrom: applied.status.from, statusTo: applied.status.to } : {}),
    });
    if (applied.outcome === 'not_settled') complete = false;
    if (applied.outcome === 'applied' && (applied.status || applied.recipientChanges.length > 0)) {
      await notify(deps, applied, counts);
    }
    if ((applied.pendingConsequences?.length ?? 0) > 0 && !(await runConsequences(deps, applied, counts))) {
      complete = false;
    }
  } catch (error) {
    complete = false;
    deps.logger.warn('feedback not applied; will retry', {
      tenantId: batch.tenantId,
      messageId,
      error: describeError(error),
    });
  }
  return complete;
}

/** The batch's events by our messageId; events not ours, or claiming another tenant, are counted as unknown. */
function byMessage(batch: FeedbackBatch, counts: Counts): Map<string, NeutralFeedback[]> {
  const groups = new Map<string, NeutralFeedback[]>();
  for (const event of batch.events) {
    if (
      event.messageId === undefined ||
      (event.claimedTenantId !== undefined && event.claimedTenantId !== batch.tenantId)
    ) {
      counts.unknownMessageEvents += 1;
      continue;
    }
    groups.set(event.messageId, [...(groups.get(event.messageId) ?? []), event]);
  }
  return groups;
}

function count(applied: FeedbackApplied, events: number, counts: Counts): void {
  if (applied.outcome === 'unknown_message') counts.unknownMessageEvents += events;
  counts.appliedEvents += applied.counts.applied;
  counts.duplicateEvents += applied.counts.duplicate;
  counts.unknownRecipientEvents += applied.counts.unknownRecipient;
  if (applied.status) counts.statusChanges += 1;
}

async function notify(deps: FeedbackConsumerDeps, applied: FeedbackApplied, counts: Counts): Promise<void> {
  for (const listener of deps.listeners ?? []) {
    try {
      await listener(applied);
    } catch (error) {
      counts.listenerFailures += 1;
      deps.logger.error('a feedback listener failed', {
        tenantId: applied.tenantId,
        messageId: applied.messageId,
        error: describeError(error),
      });
    }
  }
}

/** Runs the message's pending consequences; false when some failed (the record is delivered again). */
async function runConsequences(deps: FeedbackConsumerDeps, applied: FeedbackApplied, counts: Counts): Promise<boolean> {
  if (!deps.consequences) return true;
  try {
    await deps.consequences(applied);
    return true;
  } catch (error) {
    counts.listenerFailures += 1;
    deps.logger.error('feedback consequences failed; the batch comes back to retry them', {
      tenantId: applied.tenantId,
      messageId: applied.messageId,
      error: describeError(error),
    });
    return false;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
