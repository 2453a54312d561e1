import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { integerSetting, trustedPublisher } from '../../shared/composition/environment.js';
import { emailDispatcher, sendPathSettings } from '../../shared/composition/sending.js';
import { jsonResponse, problemResponse } from '../../shared/http/problem-response.js';
import { describeError, serviceLogger } from '../../shared/observability/logger.js';
import { REDELIVERY_POLICY } from '../../shared/sending/redelivery-policy.js';
import { createSendHandler, type SendHandler } from '../../shared/sending/send-handler.js';
import type { RecordOutcome } from '../../shared/sending/send-queue-consumer.js';
import { EMAIL_SEND_REQUESTED } from '../../shared/sending/send-request.js';
import type { LocalEndpoint } from '../local-endpoints.js';
import { LocalSendQueueFile } from '../local-send-queue-file.js';

/** The body of EventBridge `PutEvents`, as far as the local bus reads it. */
const putEventsBody = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().min(1),
        DetailType: z.string().min(1),
        Detail: z.string(),
        EventBusName: z.string().optional(),
        Resources: z.array(z.string()).optional(),
        Time: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(10, { message: 'PutEvents takes at most 10 entries' }),
});

/** What happened to one entry, answered to the caller. */
interface EntryResult {
  EventId?: string;
  /** PutEvents' own refusal of a malformed entry. */
  ErrorCode?: string;
  ErrorMessage?: string;
  outcome?: 'sent' | 'duplicate' | 'failed' | 'dead_lettered' | 'not_matched';
  code?: string;
  detail?: string;
  providerMessageId?: string | null;
  deliveries?: number;
  /** The delays the consumer asked for before each redelivery (seconds; SendGrid's reset on 429). */
  redeliveryDelaysSeconds?: number[];
}

interface QueuedMessage {
  record: SQSRecord;
  result: EntryResult;
  delaySeconds: number | undefined;
  /** What the send function made of its latest delivery. */
  outcome?: RecordOutcome | undefined;
}

let sendHandler: SendHandler | undefined;
let queueFile: LocalSendQueueFile | undefined;

/** The local queue's file in the data folder (`LOCAL_SEND_QUEUE_FILE`, set by the local runtime). */
function localQueueFile(): LocalSendQueueFile {
  const path = process.env.LOCAL_SEND_QUEUE_FILE;
  if (!path)
    throw new Error('LOCAL_SEND_QUEUE_FILE is not set; the local runtime sets it to a file in its data folder.');
  queueFile ??= new LocalSendQueueFile(path);
  return queueFile;
}

/**
 * Plays EventBridge (the rule on source + detail-type) and SQS (batches, redelivery after the
 * delay the consumer asks for, a dead-letter queue after the redelivery policy's receive
 * limit) around the real consumer. Waits are capped by `LOCAL_QUEUE_MAX_DELAY_MS`
 * (default 2 s) so a local run does not sit out a 15-minute backoff; the answer shows the
 * delays that were asked for.
 */
export const eventBridgeEventsEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/events',
  description: 'EventBridge PutEvents → rule → SQS → send function (answers each entry’s outcome)',
  async handle({ body }) {
    let input: z.infer<typeof putEventsBody>;
    try {
      input = putEventsBody.parse(JSON.parse(body));
    } catch {
      return problemResponse(
        'invalid_request',
        'Send a PutEvents body: {"Entries": [{"Source": "app.automations", "DetailType": "Email Send Requested", "Detail": "{…}"}]} with Detail a JSON string.',
        { field: 'Entries' },
      );
    }
    const eventSource = process.env.EVENT_SOURCE ?? 'app.automations';
    const queued: QueuedMessage[] = [];
    const results = input.Entries.map((entry): EntryResult => {
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const eventId = randomUUID();
      if (entry.Source !== eventSource || entry.DetailType !== EMAIL_SEND_REQUESTED) {
        return { EventId: eventId, outcome: 'not_matched' };
      }
      const result: EntryResult = { EventId: eventId, deliveries: 0, redeliveryDelaysSeconds: [] };
      queued.push({
        record: sqsRecord(eventId, entry.Source, entry.DetailType, detail),
        result,
        delaySeconds: undefined,
      });
      return result;
    });
    await deliver(queued);
    return jsonResponse(200, {
      FailedEntryCount: results.filter((result) => result.ErrorCode).length,
      Entries: results,
    });
  },
};

/** `GET /local/dead-letters`: what the local dead-letter queue holds. */
export const deadLettersEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/local/dead-letters',
  description: 'messages the local send queue gave up on',
  async handle() {
    return jsonResponse(200, { messages: await localQueueFile().list() });
  },
};

async function deliver(queue: QueuedMessage[]): Promise<void> {
  const maxDelayMs = integerSetting(process.env, 'LOCAL_QUEUE_MAX_DELAY_MS', { fallback: 2_000, min: 0 });
  let pending = queue;
  while (pending.length > 0) {
    const again: QueuedMessage[] = [];
    for (let start = 0; start < pending.length; start += REDELIVERY_POLICY.batchSize) {
      const batch = pending.slice(start, start + REDELIVERY_POLICY.batchSize);
      for (const message of batch) {
        message.record.attributes.ApproximateReceiveCount = String((message.result.deliveries ?? 0) + 1);
        message.result.deliveries = (message.result.deliveries ?? 0) + 1;
        message.outcome = undefined;
        onQueue.set(message.record.messageId, message);
      }
      await localSendHandler()({ Records: batch.map((message) => message.record) }).finally(() => {
        for (const message of batch) onQueue.delete(message.record.messageId);
      });
      for (const message of batch) {
        if (message.outcome && settle(message, message.outcome)) again.push(message);
      }
    }
    if (again.length === 0) return;
    const waitSeconds = Math.max(...again.map((message) => message.delaySeconds ?? 0));
    await sleep(Math.min(waitSeconds * 1000, maxDelayMs));
    pending = again;
  }
}

/** Records an outcome on its entry; true when the message goes back on the queue. */
function settle(message: QueuedMessage, { outcome }: RecordOutcome): boolean {
  const { result } = message;
  if (outcome.kind === 'retry') {
    if ((result.deliveries ?? 0) >= REDELIVERY_POLICY.maxReceiveCount) {
      Object.assign(result, { outcome: 'dead_lettered', code: outcome.code, detail: outcome.detail });
      localQueueFile().addDeadLetter({ id: result.EventId ?? '', body: message.record.body, lastOutcome: outcome });
      return false;
    }
    return true;
  }
  if (outcome.kind === 'sent') Object.assign(result, { outcome: 'sent', providerMessageId: outcome.providerMessageId });
  else if (outcome.kind === 'duplicate') Object.assign(result, { outcome: 'duplicate' });
  else Object.assign(result, { outcome: 'failed', code: outcome.code, detail: outcome.detail });
  return false;
}

/**
 * Delivers what `npm run ops -- redrive` put back on the send queue, as Lambda's event source
 * polls SQS: every `intervalMs` while the runtime runs. Stopping waits for a delivery under way.
 */
export function pollLocalSendQueue(intervalMs = 500): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      const waiting = localQueueFile().takeWaiting();
      if (waiting.length === 0) return;
      await deliver(
        waiting.map((letter) => ({
          record: { ...sqsRecord(letter.id, '', '', undefined), body: letter.body },
          result: { EventId: letter.id, deliveries: 0, redeliveryDelaysSeconds: [] },
          delaySeconds: undefined,
        })),
      ).catch((error: unknown) => {
        serviceLogger().error('could not deliver redriven messages', { error: describeError(error) });
      });
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

/** Messages on the local queue, by SQS message id, so the scheduler can note delays on them. */
const onQueue = new Map<string, QueuedMessage>();

/**
 * The send function's own handler, with a redelivery scheduler that notes the delay asked for
 * on the entry, and the batch's outcomes noted on their messages.
 */
function localSendHandler(): SendHandler {
  sendHandler ??= createSendHandler({
    // Waits here are compressed, so a real-time pause after a 429 would outlast every redelivery.
    dispatcher: emailDispatcher(sendPathSettings(), { pauses: false }),
    publisher: trustedPublisher(),
    logger: serviceLogger(),
    metrics: { addMetric: () => undefined },
    redelivery: {
      async delay(record, seconds) {
        const message = onQueue.get(record.messageId);
        if (!message) return;
        message.delaySeconds = seconds;
        message.result.redeliveryDelaysSeconds?.push(seconds);
      },
    },
    onOutcomes(outcomes) {
      for (const outcome of outcomes) {
        const message = onQueue.get(outcome.sqsMessageId);
        if (message) message.outcome = outcome;
      }
    },
  });
  return sendHandler;
}

/** The account the local bus stamps on its events (the local runtime trusts it: `SEND_EVENT_ACCOUNT`). */
export const LOCAL_EVENT_ACCOUNT = '000000000000';

/** The SQS record an EventBridge → SQS target would deliver: the whole event as the body. */
export function sqsRecord(
  eventId: string,
  source: string,
  detailType: string,
  detail: unknown,
  now: number = Date.now(),
): SQSRecord {
  const event = {
    version: '0',
    id: eventId,
    'detail-type': detailType,
    source,
    account: LOCAL_EVENT_ACCOUNT,
    time: new Date(now).toISOString(),
    region: process.env.AWS_REGION ?? 'eu-central-1',
    resources: [],
    detail,
  };
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: '0',
      SentTimestamp: String(now),
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:email-send-requests',
    awsRegion: process.env.AWS_REGION ?? 'eu-central-1',
  };
}
