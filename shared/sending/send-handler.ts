import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EmailDispatcher } from './email-dispatcher.js';
import { REDELIVERY_POLICY } from './redelivery-policy.js';
import { sendGroupOf } from './send-event-screen.js';
import { countOutcomes, type MetricsSink } from './send-metrics.js';
import {
  type RecordOutcome,
  type RedeliveryScheduler,
  SendQueueConsumer,
  type TrustedPublisher,
} from './send-queue-consumer.js';

/** What {@link createSendHandler} needs: the Lambda function and the local queue pass their own. */
export interface SendHandlerDeps {
  dispatcher: Pick<EmailDispatcher, 'dispatch'>;
  /** The only event source and account whose send requests are accepted. */
  publisher: TrustedPublisher;
  /** Holds a record back before its next delivery (SQS in Lambda, the local queue's clock locally). */
  redelivery: RedeliveryScheduler;
  logger: Logger;
  /** Where outcome counts go; flushed once per batch when it can publish. */
  metrics: MetricsSink & { publishStoredMetrics?(): void };
  /** Sees every batch's outcomes (the local queue answers them to its caller). */
  onOutcomes?: (outcomes: RecordOutcome[]) => void;
}

/** The send function's handler: SQS batch in, partial batch response out. */
export type SendHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The send function, for Lambda (`functions/send-email.ts`) and the local runtime alike: each
 * record is dispatched, outcomes are counted, and only records to retry are reported back, after
 * asking the queue to hold them back for the policy's delay.
 */
export function createSendHandler(deps: SendHandlerDeps): SendHandler {
  const consumer = new SendQueueConsumer({
    dispatcher: deps.dispatcher,
    publisher: deps.publisher,
    redelivery: deps.redelivery,
    logger: deps.logger,
  });
  return async function handleSendBatch(event) {
    const { outcomes, batchItemFailures } = await consumer.consume(event.Records);
    countOutcomes(deps.metrics, outcomes);
    deps.metrics.publishStoredMetrics?.();
    deps.onOutcomes?.(outcomes);
    return { batchItemFailures };
  };
}

/** SQS's longest DelaySeconds for one message. */
const MAX_DELAY_SECONDS = 900;

function eventDetail(body: string): unknown {
  try {
    return (JSON.parse(body) as { detail?: unknown } | null)?.detail;
  } catch {
    return undefined;
  }
}

/** Options for {@link SqsRedelivery}. */
export interface SqsRedeliveryOptions {
  queueUrl: string;
  /** A ready-made client (tests pass a mocked one); default one built on the first retry. */
  client?: SQSClient;
}

/**
 * Holds a message back by changing its visibility timeout (SQS caps one change at 12 hours).
 * The SQS client is loaded on the first retry only: most invocations never need it, so cold
 * starts skip it.
 */
export class SqsRedelivery implements RedeliveryScheduler {
  private client: Promise<SQSClient> | undefined;

  constructor(private readonly options: SqsRedeliveryOptions) {
    if (options.client) this.client = Promise.resolve(options.client);
  }

  async delay(record: SQSRecord, seconds: number): Promise<void> {
    const { ChangeMessageVisibilityCommand, SQSClient } = await import('@aws-sdk/client-sqs');
    this.client ??= Promise.resolve(new SQSClient({}));
    await (await this.client).send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.options.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: Math.min(REDELIVERY_POLICY.maxVisibilitySeconds, Math.max(0, Math.round(seconds))),
      }),
    );
  }

  async requeue(record: SQSRecord, seconds: number): Promise<void> {
    const { SendMessageCommand, SQSClient } = await import('@aws-sdk/client-sqs');
    this.client ??= Promise.resolve(new SQSClient({}));
    await (await this.client).send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: record.body,
        // In its tenant's group again; SQS delays a message by 15 minutes at most, so a longer hold is several requeues.
        MessageGroupId: sendGroupOf(eventDetail(record.body)),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(seconds))),
      }),
    );
  }
}
