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
  /** Visible messages, oldest first (taken from `head` on, so a long queue costs nothing to take from). */
  private ready: HeldMessage[] = [];
  private head = 0;
  /** Messages back from a failed delivery, invisible until their `visibleAt`. */
  private readonly delayed: HeldMessage[] = [];

  constructor(private readonly options: LocalSqsQueueOptions) {}

  async sendAll(messages: readonly T[]): Promise<void> {
    const now = Date.now();
    for (const message of messages) {
      this.ready.push({
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
    return this.ready.length - this.head + this.delayed.length;
  }

  /** The next batch of visible messages (none: nothing is visible now). */
  private take(now: number): HeldMessage[] {
    for (let index = this.delayed.length - 1; index >= 0; index -= 1) {
      const message = this.delayed[index] as HeldMessage;
      if (message.visibleAt <= now) {
        this.ready.push(message);
        this.delayed.splice(index, 1);
      }
    }
    const batch = this.ready.slice(this.head, this.head + this.options.batchSize);
    this.head += batch.length;
    if (this.head > 1_000 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /**
   * Delivers until the queue is empty, messages the handler sends meanwhile included: up to
   * `maxConcurrency` pollers, each taking the next visible batch as soon as its last one is done
   * (as Lambda's pollers do), so one slow batch holds back only its own poller.
   */
  async drain(handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>): Promise<void> {
    let inFlight = 0;
    const poller = async (): Promise<void> => {
      for (;;) {
        const now = Date.now();
        const batch = this.take(now);
        if (batch.length > 0) {
          inFlight += 1;
          await this.deliver(batch, handler).finally(() => {
            inFlight -= 1;
          });
          continue;
        }
        // Nothing visible: done when nothing waits and no batch in flight can put anything back.
        if (this.depth === 0 && inFlight === 0) return;
        const nextVisible =
          this.delayed.length > 0 ? Math.min(...this.delayed.map((message) => message.visibleAt)) : now + 5;
        await sleep(Math.max(1, Math.min(nextVisible - now, 50)));
      }
    };
    await Promise.all(Array.from({ length: this.options.maxConcurrency }, poller));
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
        this.delayed.push(message);
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
