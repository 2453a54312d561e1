import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { FeedbackHandler } from '../../shared/feedback/feedback-consumer.js';
import { FileFeedbackQueue, type LocalFeedbackMessage } from '../../shared/feedback/feedback-queue.js';
import { jsonResponse } from '../../shared/http/problem-response.js';
import { describeError, serviceLogger, withOwnLogger } from '../../shared/observability/logger.js';
import type { LocalEndpoint } from '../local-endpoints.js';

/** The file's name in the local runtime's data folder. */
export const LOCAL_FEEDBACK_QUEUE_FILE_NAME = 'feedback-queue.json';
/** Deliveries before a message goes to the dead letters, as the stack's queue. */
export const LOCAL_FEEDBACK_MAX_RECEIVES = 5;
/** Records per invocation, as the stack's event source mapping. */
const BATCH_SIZE = 10;

let handler: FeedbackHandler | undefined;
let queue: FileFeedbackQueue | undefined;
let running: Promise<unknown> = Promise.resolve();

function localQueue(): FileFeedbackQueue {
  const path = process.env.LOCAL_FEEDBACK_QUEUE_FILE;
  if (!path) throw new Error('LOCAL_FEEDBACK_QUEUE_FILE is not set; the local runtime sets it.');
  queue ??= new FileFeedbackQueue(path);
  return queue;
}

/** The stack's feedback function itself (loaded once the runtime has set its environment). */
async function feedbackHandler(): Promise<FeedbackHandler> {
  handler ??= ((await import('../../functions/apply-feedback.js')) as { handler: FeedbackHandler }).handler;
  return handler;
}

/** What one pass over the local feedback queue did. */
export interface FeedbackDrain {
  /** Messages handed to the feedback function and done with. */
  applied: number;
  /** Messages it asked to see again (put back), and those given up on. */
  redelivered: number;
  deadLettered: number;
}

/**
 * One pass, as Lambda's event source over SQS: what waits now is delivered to the feedback
 * function in batches of 10; reported failures go back on the queue, or after
 * {@link LOCAL_FEEDBACK_MAX_RECEIVES} deliveries to the dead letters. Passes never overlap.
 */
export function drainLocalFeedbackQueue(): Promise<FeedbackDrain> {
  const pass = running.then(async () => {
    const result: FeedbackDrain = { applied: 0, redelivered: 0, deadLettered: 0 };
    const waiting = localQueue().take(Number.MAX_SAFE_INTEGER);
    for (let start = 0; start < waiting.length; start += BATCH_SIZE) {
      const batch = waiting.slice(start, start + BATCH_SIZE).map((message) => ({
        ...message,
        receiveCount: message.receiveCount + 1,
      }));
      const records = new Map(batch.map((message) => [message.id, message]));
      const apply = await feedbackHandler();
      const { batchItemFailures } = await withOwnLogger(() => apply({ Records: batch.map(sqsRecord) }));
      const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
      const again: LocalFeedbackMessage[] = [];
      for (const [id, message] of records) {
        if (!failed.has(id)) result.applied += 1;
        else if (message.receiveCount >= LOCAL_FEEDBACK_MAX_RECEIVES) {
          localQueue().addDeadLetter(message);
          result.deadLettered += 1;
        } else {
          again.push(message);
          result.redelivered += 1;
        }
      }
      localQueue().putBack(again);
    }
    return result;
  });
  running = pass.catch(() => undefined);
  return pass;
}

/** Delivers the local feedback queue every `intervalMs` while the runtime runs. */
export function pollLocalFeedbackQueue(intervalMs = 250): { stop(): Promise<void> } {
  const timer = setInterval(() => {
    if (localQueue().waitingCount() === 0) return;
    drainLocalFeedbackQueue().catch((error: unknown) => {
      serviceLogger().error('could not deliver the local feedback queue', { error: describeError(error) });
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** `POST /local/feedback/drain`: applies what the feedback queue holds now and says how it went. */
export const feedbackDrainEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/feedback/drain',
  description: 'feedback queue → feedback function now (answers applied / redelivered / dead-lettered)',
  async handle() {
    return jsonResponse(200, await drainLocalFeedbackQueue());
  },
};

/** `GET /local/feedback/dead-letters`: what the local feedback queue gave up on. */
export const feedbackDeadLettersEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/local/feedback/dead-letters',
  description: 'feedback batches the local feedback queue gave up on',
  async handle() {
    return jsonResponse(200, { messages: localQueue().deadLetters() });
  },
};

function sqsRecord(message: LocalFeedbackMessage): SQSRecord {
  const now = Date.now();
  return {
    messageId: message.id,
    receiptHandle: randomUUID(),
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(now),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:email-feedback',
    awsRegion: process.env.AWS_REGION ?? 'eu-central-1',
  };
}
