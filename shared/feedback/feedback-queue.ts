import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FeedbackBatch } from './provider-feedback.js';

/** Where accepted provider feedback waits to be applied (SQS in AWS, a file in the local runtime). */
export interface FeedbackQueuePort {
  enqueue(batch: FeedbackBatch): Promise<void>;
}

/** Largest message body we put on the queue, well under SQS's 256 KiB. */
export const MAX_FEEDBACK_MESSAGE_BYTES = 200_000;

/**
 * The batch as queue message bodies, each under {@link MAX_FEEDBACK_MESSAGE_BYTES}: a webhook
 * batch (SendGrid posts up to 768 KB) is split by events; each part names provider and tenant.
 */
export function feedbackMessageBodies(batch: FeedbackBatch): string[] {
  const bodies: string[] = [];
  const envelope = (events: FeedbackBatch['events']) =>
    JSON.stringify({ provider: batch.provider, tenantId: batch.tenantId, events });
  let part: FeedbackBatch['events'] = [];
  let size = Buffer.byteLength(envelope([]));
  for (const event of batch.events) {
    const eventSize = Buffer.byteLength(JSON.stringify(event)) + 1;
    if (part.length > 0 && size + eventSize > MAX_FEEDBACK_MESSAGE_BYTES) {
      bodies.push(envelope(part));
      part = [];
      size = Buffer.byteLength(envelope([]));
    }
    part.push(event);
    size += eventSize;
  }
  if (part.length > 0) bodies.push(envelope(part));
  return bodies;
}

/** The feedback queue in AWS (`FEEDBACK_QUEUE_URL`): one SendMessage per part of a batch. */
export class SqsFeedbackQueue implements FeedbackQueuePort {
  private client: Promise<SQSClient> | undefined;

  constructor(private readonly options: { queueUrl: string; client?: SQSClient }) {
    if (options.client) this.client = Promise.resolve(options.client);
  }

  async enqueue(batch: FeedbackBatch): Promise<void> {
    const { SendMessageCommand, SQSClient } = await import('@aws-sdk/client-sqs');
    this.client ??= Promise.resolve(new SQSClient({}));
    const client = await this.client;
    await Promise.all(
      feedbackMessageBodies(batch).map((body) =>
        client.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: body })),
      ),
    );
  }
}

/** A message the local feedback queue holds, or gave up on. */
export interface LocalFeedbackMessage {
  id: string;
  body: string;
  /** Deliveries so far. */
  receiveCount: number;
}

interface QueueFileContent {
  waiting: LocalFeedbackMessage[];
  deadLetters: LocalFeedbackMessage[];
}

/**
 * The local runtime's feedback queue: one JSON file in the data folder (`LOCAL_FEEDBACK_QUEUE_FILE`)
 * the webhook route appends to and the runtime drains into the feedback consumer, as Lambda's
 * event source drains SQS; what keeps failing ends among its dead letters.
 */
export class FileFeedbackQueue implements FeedbackQueuePort {
  private counter = 0;

  constructor(private readonly path: string) {}

  async enqueue(batch: FeedbackBatch): Promise<void> {
    const content = this.read();
    const added = feedbackMessageBodies(batch).map((body) => {
      this.counter += 1;
      return { id: `local-feedback-${Date.now()}-${this.counter}`, body, receiveCount: 0 };
    });
    this.write({ ...content, waiting: [...content.waiting, ...added] });
  }

  /** Takes up to `max` waiting messages off the queue. */
  take(max: number): LocalFeedbackMessage[] {
    const content = this.read();
    if (content.waiting.length === 0) return [];
    this.write({ ...content, waiting: content.waiting.slice(max) });
    return content.waiting.slice(0, max);
  }

  /** Puts messages back for another delivery. */
  putBack(messages: LocalFeedbackMessage[]): void {
    if (messages.length === 0) return;
    const content = this.read();
    this.write({ ...content, waiting: [...content.waiting, ...messages] });
  }

  /** Gives up on a message. */
  addDeadLetter(message: LocalFeedbackMessage): void {
    const content = this.read();
    this.write({ ...content, deadLetters: [...content.deadLetters, message] });
  }

  /** What the queue gave up on, oldest first. */
  deadLetters(): LocalFeedbackMessage[] {
    return this.read().deadLetters;
  }

  /** How many messages wait. */
  waitingCount(): number {
    return this.read().waiting.length;
  }

  private read(): QueueFileContent {
    if (!existsSync(this.path)) return { waiting: [], deadLetters: [] };
    const content = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<QueueFileContent>;
    return { waiting: content.waiting ?? [], deadLetters: content.deadLetters ?? [] };
  }

  private write(content: QueueFileContent): void {
    // Whole file at once: a reader never sees half of it. 0600: it holds recipients' addresses.
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(content), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
