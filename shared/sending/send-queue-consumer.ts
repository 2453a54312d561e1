import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchItemFailure, SQSRecord } from 'aws-lambda';
import { Slots } from '../map-bounded.js';
import { describeError } from '../observability/logger.js';
import type { BatchContext, DispatchOutcome, EmailDispatcher } from './email-dispatcher.js';
import { REDELIVERY_POLICY, redeliveryDelaySeconds } from './redelivery-policy.js';
import { screenSendEvent, type TrustedPublisher } from './send-event-screen.js';

export type { TrustedPublisher } from './send-event-screen.js';

/** Asks the queue to hold a message back before its next delivery (SQS ChangeMessageVisibility). */
export interface RedeliveryScheduler {
  delay(record: SQSRecord, seconds: number): Promise<void>;
  /**
   * Queues the record's message again as a new message, visible after `seconds` (SQS: at most 15
   * minutes), so its receive count starts over: for messages a tenant cap held back, which must
   * not spend the redelivery budget. The original is then deleted (not reported as a failure).
   */
  requeue?(record: SQSRecord, seconds: number): Promise<void>;
}

/** One record's outcome, with the ids an operator searches by. */
export interface RecordOutcome {
  sqsMessageId: string;
  eventId: string | null;
  outcome: DispatchOutcome;
  /** Queued again as a new message (a tenant cap held it back): not a batch item failure. */
  requeued?: true;
}

/** What the consumer needs. */
export interface SendQueueConsumerDeps {
  dispatcher: Pick<EmailDispatcher, 'dispatch'> &
    Partial<Pick<EmailDispatcher, 'prepareBatch' | 'batchCompletion' | 'batchSettles'>>;
  /** Records from any other source or account are refused for good (`untrusted_event`). */
  publisher: TrustedPublisher;
  redelivery: RedeliveryScheduler;
  logger: Logger;
  /** Provider calls of one batch at once (default the policy's); the rest of each record's work overlaps. */
  providerCalls?: number;
}

/**
 * Consumes a batch of SQS records carrying EventBridge "Email Send Requested" events: each is
 * dispatched (all at once, with a bound on provider calls), and those to be retried are reported as batch item
 * failures after asking the queue to hold them back (429: until SendGrid's reset; else backoff).
 */
export class SendQueueConsumer {
  constructor(private readonly deps: SendQueueConsumerDeps) {}

  /** Handles a batch: every record's outcome, and the records the queue must deliver again. */
  async consume(
    records: SQSRecord[],
  ): Promise<{ outcomes: RecordOutcome[]; batchItemFailures: SQSBatchItemFailure[] }> {
    const screened = records.map((record) => ({
      record,
      screened: screenSendEvent(safeJson(record.body), this.deps.publisher),
    }));
    // What every send of the batch reads (its suppression lists), read once for all of them while they are claimed.
    const accepted = screened.flatMap((entry) => (entry.screened.kind === 'accepted' ? [entry.screened.event] : []));
    const prepared = this.deps.dispatcher.prepareBatch?.(accepted.map((event) => event.detail)) ?? {};
    const completion = this.deps.dispatcher.batchCompletion?.(accepted.length);
    const settles = this.deps.dispatcher.batchSettles?.(accepted.length);
    const providerCalls = this.deps.providerCalls ?? REDELIVERY_POLICY.providerCallsPerBatch;
    const batch: BatchContext = {
      ...prepared,
      providerSlots: new Slots(providerCalls),
      claimSlots: new Slots(providerCalls),
      ...(completion ? { completion } : {}),
      ...(settles ? { settles } : {}),
    };
    // Every record at once (a batch is at most 10); the provider calls among them are bounded.
    const outcomes = await Promise.all(screened.map((entry) => this.consumeOne(entry.record, entry.screened, batch)));
    const retries = outcomes.filter((entry) => entry.outcome.kind === 'retry' && !entry.requeued);
    return { outcomes, batchItemFailures: retries.map((entry) => ({ itemIdentifier: entry.sqsMessageId })) };
  }

  private async consumeOne(
    record: SQSRecord,
    screened: ReturnType<typeof screenSendEvent>,
    batch: BatchContext,
  ): Promise<RecordOutcome> {
    const eventId = screened.kind === 'not_a_send_request' ? null : screened.event.id;
    let outcome: DispatchOutcome;
    if (screened.kind === 'not_a_send_request') {
      // Not an event this queue is for: nothing to record it under; log it and drop it.
      outcome = { kind: 'failed', code: 'invalid_event', detail: screened.detail };
      this.deps.logger.error('dropped a message that is not a send request', { sqsMessageId: record.messageId });
    } else if (screened.kind === 'untrusted') {
      // Someone else put it on the bus or the queue: its tenant id means nothing, so nothing is recorded under it.
      outcome = { kind: 'failed', code: 'untrusted_event', detail: screened.detail };
      this.deps.logger.error('refused a send request from an untrusted publisher', {
        eventId,
        sqsMessageId: record.messageId,
        source: screened.event.source.slice(0, 256),
        account: screened.event.account.slice(0, 32),
      });
    } else {
      try {
        outcome = await this.deps.dispatcher.dispatch(screened.event.detail, screened.event.id, batch);
      } catch (error) {
        // Unclassified (DynamoDB down mid-settle …): let the queue deliver it again.
        this.deps.logger.error('send attempt failed; will retry', { eventId, error: describeError(error) });
        outcome = { kind: 'retry', code: 'internal_error', detail: 'The send attempt failed unexpectedly.' };
      }
    }
    let requeued = false;
    if (outcome.kind === 'retry' && outcome.requeue) requeued = await this.requeue(record, outcome.afterSeconds);
    if (outcome.kind === 'retry' && !requeued) await this.scheduleRetry(record, outcome.afterSeconds);
    this.deps.logger.info('send request handled', {
      eventId,
      outcome: outcome.kind,
      ...(outcome.kind === 'failed' || outcome.kind === 'retry' ? { code: outcome.code } : {}),
    });
    return { sqsMessageId: record.messageId, eventId, outcome, ...(requeued ? { requeued: true as const } : {}) };
  }

  /** Queues a capped message afresh; false when the queue cannot, so it is redelivered as usual. */
  private async requeue(record: SQSRecord, afterSeconds: number | undefined): Promise<boolean> {
    if (!this.deps.redelivery.requeue) return false;
    try {
      await this.deps.redelivery.requeue(record, Math.max(0, afterSeconds ?? 0));
      return true;
    } catch (error) {
      this.deps.logger.warn('could not queue a capped message again; it is redelivered instead', {
        error: describeError(error),
      });
      return false;
    }
  }

  private async scheduleRetry(record: SQSRecord, afterSeconds: number | undefined): Promise<void> {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? 1);
    const seconds = redeliveryDelaySeconds(receiveCount, afterSeconds);
    try {
      await this.deps.redelivery.delay(record, seconds);
    } catch (error) {
      // The queue's own visibility timeout still brings it back; only the timing is lost.
      this.deps.logger.warn('could not delay redelivery', { error: describeError(error) });
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
