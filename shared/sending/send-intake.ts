import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { tunedAwsClient } from '../aws-client-tuning.js';
import { describeError } from '../observability/logger.js';
import { screenSendEvent, type TrustedPublisher } from './send-event-screen.js';
import type { MetricsSink } from './send-metrics.js';
import { SEND_OUTCOMES } from './send-outcomes.js';

/** One message for the send queue: the whole EventBridge event as its body, its tenant as the fair-queue group. */
export interface SendQueueMessage {
  /** Unique within one enqueue call (the event id). */
  id: string;
  body: string;
  /** The fair queue's message group: the tenant. */
  group: string;
}

/** The send queue as the intake sees it (SQS in AWS, the local fair queue locally). */
export interface SendQueuePort {
  /** Enqueues the messages; answers the ids of those that could not be enqueued. */
  enqueue(messages: SendQueueMessage[]): Promise<{ failedIds: string[] }>;
}

/** What the intake did with one event. */
export type IntakeResult =
  | { eventId: string | null; kind: 'queued'; group: string }
  /** Refused for good by the trust screen; never enqueued. */
  | { eventId: string | null; kind: 'refused'; code: 'invalid_event' | 'untrusted_event' }
  /** The queue did not take it: the caller must make the event be delivered again. */
  | { eventId: string | null; kind: 'not_queued' };

/** What {@link SendIntake} needs. */
export interface SendIntakeDeps {
  queue: SendQueuePort;
  publisher: TrustedPublisher;
  logger: Logger;
  metrics?: MetricsSink;
}

/**
 * The send pipeline's intake, between the service's bus and the send queue: screens each event
 * exactly as the send consumer does (one screen, `send-event-screen.ts`) and enqueues the trusted
 * ones with their tenant as the message group, so the fair queue can keep one tenant's flood from
 * holding back the others. A trusted event whose detail is invalid is still enqueued (under its
 * tenant when readable): the consumer files it as `invalid_event` in the ledger, the one writer.
 */
export class SendIntake {
  constructor(private readonly deps: SendIntakeDeps) {}

  /** Screens and enqueues the events (in batches where the queue can take them). */
  async accept(events: unknown[]): Promise<IntakeResult[]> {
    const results: IntakeResult[] = [];
    const messages: SendQueueMessage[] = [];
    for (const event of events) {
      const screened = screenSendEvent(event, this.deps.publisher);
      if (screened.kind === 'not_a_send_request') {
        this.deps.logger.error('dropped an event that is not a send request');
        this.deps.metrics?.addMetric(SEND_OUTCOMES.invalid_event.metric, 'Count', 1);
        results.push({ eventId: null, kind: 'refused', code: 'invalid_event' });
      } else if (screened.kind === 'untrusted') {
        this.deps.logger.error('refused a send request from an untrusted publisher', {
          eventId: screened.event.id,
          source: screened.event.source.slice(0, 256),
          account: screened.event.account.slice(0, 32),
        });
        this.deps.metrics?.addMetric(SEND_OUTCOMES.untrusted_event.metric, 'Count', 1);
        results.push({ eventId: screened.event.id, kind: 'refused', code: 'untrusted_event' });
      } else {
        messages.push({ id: screened.event.id, body: JSON.stringify(event), group: screened.group });
        results.push({ eventId: screened.event.id, kind: 'queued', group: screened.group });
      }
    }
    if (messages.length === 0) return results;
    let failed: Set<string>;
    try {
      failed = new Set((await this.deps.queue.enqueue(messages)).failedIds);
    } catch (error) {
      this.deps.logger.error('could not enqueue send requests', { error: describeError(error) });
      failed = new Set(messages.map((message) => message.id));
    }
    return results.map((result) =>
      result.kind === 'queued' && result.eventId !== null && failed.has(result.eventId)
        ? { eventId: result.eventId, kind: 'not_queued' as const }
        : result,
    );
  }
}

/** The intake function's handler: a batch from the intake queue in, the events to deliver again out. */
export type IntakeHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The intake function (`functions/accept-send-request.ts`): the intake queue's batch of EventBridge
 * events is screened and queued on the send queue in one SendMessageBatch; only the events the send
 * queue did not take are reported back, so SQS delivers them again (then the dead-letter queue).
 */
export function createIntakeHandler(
  deps: SendIntakeDeps & { metrics: MetricsSink & { publishStoredMetrics?(): void } },
): IntakeHandler {
  const intake = new SendIntake(deps);
  return async function handleIntakeBatch(event) {
    const results = await intake.accept(event.Records.map((record) => parseJson(record.body)));
    // Only refusals are counted here; an empty flush would log a warning on every batch.
    if (results.some((result) => result.kind === 'refused')) deps.metrics.publishStoredMetrics?.();
    return {
      batchItemFailures: results.flatMap((result, index) => {
        const record = event.Records[index];
        return result.kind === 'not_queued' && record ? [{ itemIdentifier: record.messageId }] : [];
      }),
    };
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** SQS's limits for one SendMessageBatch: 10 entries, 256 KiB of bodies together. */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 256 * 1024;

/** Options for {@link SqsSendQueue}. */
export interface SqsSendQueueOptions {
  queueUrl: string;
  /** A ready-made client (tests pass a mocked one); default one built on first use. */
  client?: SQSClient;
}

/**
 * The deployed send queue, a standard SQS queue used as a fair queue: every message carries its
 * tenant as `MessageGroupId`. One message is one SendMessage; more are SendMessageBatch calls of
 * up to 10 entries and 256 KiB.
 */
export class SqsSendQueue implements SendQueuePort {
  private client: SQSClient | undefined;

  constructor(private readonly options: SqsSendQueueOptions) {
    this.client = options.client;
  }

  async enqueue(messages: SendQueueMessage[]): Promise<{ failedIds: string[] }> {
    const { SQSClient, SendMessageBatchCommand, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    this.client ??= tunedAwsClient(new SQSClient({}));
    const client = this.client;
    if (messages.length === 1 && messages[0]) {
      const [message] = messages;
      await client.send(
        new SendMessageCommand({
          QueueUrl: this.options.queueUrl,
          MessageBody: message.body,
          MessageGroupId: message.group,
        }),
      );
      return { failedIds: [] };
    }
    const failedIds: string[] = [];
    for (const batch of batches(messages)) {
      const answer = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: batch.map((message, index) => ({
            Id: String(index),
            MessageBody: message.body,
            MessageGroupId: message.group,
          })),
        }),
      );
      for (const failure of answer.Failed ?? []) {
        const message = batch[Number(failure.Id)];
        if (message) failedIds.push(message.id);
      }
    }
    return { failedIds };
  }
}

/** Splits messages into SendMessageBatch calls within SQS's entry and size limits. */
export function batches(messages: SendQueueMessage[]): SendQueueMessage[][] {
  const result: SendQueueMessage[][] = [];
  let current: SendQueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (current.length === BATCH_ENTRIES || (current.length > 0 && bytes + size > BATCH_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
