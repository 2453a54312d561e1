import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MessageQueue } from '../shared/integrations/health-queues.js';

/** A message the local queue holds. */
interface HeldMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  /** Not delivered again before this (the visibility timeout after a failed delivery). */
  visibleAt: number;
}

/** Options for {@link LocalSqsQueue}. */
export interface LocalSqsQueueOptions {
  /** Names the queue in its records' ARN. */
  name: string;
  /** Messages per delivery (the event source's batch size). */
  batchSize: number;
  /** Deliveries in flight at once (the event source's maximum concurrency). */
  maxConcurrency: number;
  /** Deliveries before a message goes to the dead letters. */
  maxReceiveCount: number;
  /** How long a failed message stays invisible (compressed locally, as the send queue's waits are). */
  visibilityMs: number;
}

/**
 * An SQS queue with a Lambda event source, played in process with the semantics the local send
 * queue has: batches of `batchSize`, partial batch responses (a thrown handler fails the whole
 * batch), a failed message redelivered after its visibility timeout with its receive count, and
 * the dead letters after `maxReceiveCount` deliveries. At most `maxConcurrency` batches run at once.
 */
export class LocalSqsQueue<T> implements MessageQueue<T> {
  /** Messages the queue gave up on. */
  readonly deadLetters: Array<{ messageId: string; body: string; receiveCount: number }> = [];
  private readonly waiting: HeldMessage[] = [];

  constructor(private readonly options: LocalSqsQueueOptions) {}

  async sendAll(messages: readonly T[]): Promise<void> {
    const now = Date.now();
    for (const message of messages) {
      this.waiting.push({
        messageId: randomUUID(),
        body: JSON.stringify(message),
        receiveCount: 0,
        sentAt: now,
        visibleAt: now,
      });
    }
  }

  /** Messages waiting (visible or not). */
  get depth(): number {
    return this.waiting.length;
  }

  /** Delivers until the queue is empty, messages the handler sends meanwhile included. */
  async drain(handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>): Promise<void> {
    while (this.waiting.length > 0) {
      const now = Date.now();
      const visible = this.waiting.filter((message) => message.visibleAt <= now);
      if (visible.length === 0) {
        await sleep(Math.max(1, Math.min(...this.waiting.map((message) => message.visibleAt)) - now));
        continue;
      }
      const batches: HeldMessage[][] = [];
      for (let start = 0; start < visible.length && batches.length < this.options.maxConcurrency; ) {
        batches.push(visible.slice(start, start + this.options.batchSize));
        start += this.options.batchSize;
      }
      for (const message of batches.flat()) this.waiting.splice(this.waiting.indexOf(message), 1);
      await Promise.all(batches.map((batch) => this.deliver(batch, handler)));
    }
  }

  private async deliver(
    batch: HeldMessage[],
    handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>,
  ): Promise<void> {
    for (const message of batch) message.receiveCount += 1;
    let failed: Set<string>;
    try {
      const answer = await handler({ Records: batch.map((message) => this.record(message)) });
      failed = new Set((answer?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch {
      failed = new Set(batch.map((message) => message.messageId));
    }
    for (const message of batch.filter((candidate) => failed.has(candidate.messageId))) {
      if (message.receiveCount >= this.options.maxReceiveCount) {
        this.deadLetters.push({ messageId: message.messageId, body: message.body, receiveCount: message.receiveCount });
      } else {
        message.visibleAt = Date.now() + this.options.visibilityMs;
        this.waiting.push(message);
      }
    }
  }

  private record(message: HeldMessage): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: randomUUID(),
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.options.name}`,
      awsRegion: process.env.AWS_REGION ?? 'eu-central-1',
    };
  }
}
