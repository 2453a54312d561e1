import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { integerSetting, trustedPublisher } from '../../shared/composition/environment.js';
import { emailDispatcher, sendPathSettings } from '../../shared/composition/sending.js';
import { jsonResponse, problemResponse } from '../../shared/http/problem-response.js';
import { describeError, serviceLogger, withOwnLogger } from '../../shared/observability/logger.js';
import { REDELIVERY_POLICY } from '../../shared/sending/redelivery-policy.js';
import { sendGroupOf } from '../../shared/sending/send-event-screen.js';
import { createSendHandler, type SendHandler } from '../../shared/sending/send-handler.js';
import { SendIntake } from '../../shared/sending/send-intake.js';
import type { RecordOutcome } from '../../shared/sending/send-queue-consumer.js';
import { EMAIL_SEND_REQUESTED } from '../../shared/sending/send-request.js';
import type { LocalEndpoint } from '../local-endpoints.js';
import { LocalFairQueue } from '../local-fair-queue.js';
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
  outcome?: 'pending' | 'sent' | 'duplicate' | 'suppressed' | 'failed' | 'dead_lettered' | 'not_matched';
  code?: string;
  detail?: string;
  providerMessageId?: string | null;
  deliveries?: number;
  /** The delays the consumer asked for before each redelivery (seconds; SendGrid's reset on 429). */
  redeliveryDelaysSeconds?: number[];
  /** Times a tenant cap held it back and it was queued afresh (its deliveries start over each time). */
  requeues?: number;
}

/** A message on the local send queue: the SQS record the send function gets, and the entry it answers. */
interface QueuedSend {
  record: SQSRecord;
  result: EntryResult;
  /** The delay the consumer asked for at its latest delivery (seconds). */
  delaySeconds?: number | undefined;
  /** What the send function made of its latest delivery. */
  outcome?: RecordOutcome | undefined;
  /** Resolves once the entry has its final outcome. */
  settled: Promise<void>;
  settle(): void;
}

let sendHandler: SendHandler | undefined;
let queueFile: LocalSendQueueFile | undefined;
let sendQueue: LocalFairQueue<QueuedSend> | undefined;
let intake: SendIntake | undefined;

/** Entries by event id, so `GET /local/events/{eventId}` can answer them; the oldest are forgotten first. */
const entries = new Map<string, EntryResult>();
const REMEMBERED_ENTRIES = 10_000;

/** The local queue's file in the data folder (`LOCAL_SEND_QUEUE_FILE`, set by the local runtime). */
function localQueueFile(): LocalSendQueueFile {
  const path = process.env.LOCAL_SEND_QUEUE_FILE;
  if (!path)
    throw new Error('LOCAL_SEND_QUEUE_FILE is not set; the local runtime sets it to a file in its data folder.');
  queueFile ??= new LocalSendQueueFile(path);
  return queueFile;
}

/**
 * The local send queue: an emulated SQS fair queue (the tenant as message group) feeding the real
 * send handler in batches of 10, `LOCAL_SEND_CONCURRENCY` batches at once (default 2), redelivering
 * after the delay the consumer asks for — capped by `LOCAL_QUEUE_MAX_DELAY_MS` (default 2 s) so a
 * local run does not sit out a 15-minute backoff — and giving up to the dead-letter file after the
 * policy's receive limit.
 */
function localSendQueue(): LocalFairQueue<QueuedSend> {
  const maxDelayMs = integerSetting(process.env, 'LOCAL_QUEUE_MAX_DELAY_MS', { fallback: 2_000, min: 0 });
  sendQueue ??= new LocalFairQueue<QueuedSend>({
    batchSize: REDELIVERY_POLICY.batchSize,
    workers: integerSetting(process.env, 'LOCAL_SEND_CONCURRENCY', { fallback: 2, max: 100 }),
    maxReceiveCount: REDELIVERY_POLICY.maxReceiveCount,
    fair: true,
    async consume(batch) {
      for (const { payload, receives } of batch) {
        payload.record.attributes.ApproximateReceiveCount = String(receives);
        payload.result.deliveries = receives;
        payload.outcome = undefined;
        payload.delaySeconds = undefined;
        onQueue.set(payload.record.messageId, payload);
      }
      try {
        await withOwnLogger(() => localSendHandler()({ Records: batch.map(({ payload }) => payload.record) }));
      } finally {
        for (const { payload } of batch) onQueue.delete(payload.record.messageId);
      }
      const retries = [];
      for (const message of batch) {
        const { payload } = message;
        const last = payload.outcome?.outcome;
        if (payload.outcome?.requeued && last?.kind === 'retry') {
          // Held back by a tenant cap: queued afresh, the delivery count starts over.
          Object.assign(payload.result, { code: last.code, detail: last.detail });
          payload.result.requeues = (payload.result.requeues ?? 0) + 1;
          retries.push({ id: message.id, delayMs: Math.min((last.afterSeconds ?? 0) * 1000, maxDelayMs), fresh: true });
        } else if (last?.kind === 'retry') {
          retries.push({ id: message.id, delayMs: Math.min((payload.delaySeconds ?? 0) * 1000, maxDelayMs) });
        } else if (payload.outcome) {
          settle(payload, payload.outcome);
        }
      }
      return retries;
    },
    deadLetter({ payload }) {
      const last = payload.outcome?.outcome;
      Object.assign(payload.result, {
        outcome: 'dead_lettered',
        ...(last && last.kind === 'retry' ? { code: last.code, detail: last.detail } : {}),
      });
      localQueueFile().addDeadLetter({
        id: payload.result.EventId ?? '',
        body: payload.record.body,
        lastOutcome: last,
      });
      payload.settle();
    },
  });
  return sendQueue;
}

/** Entries of the PutEvents call under way, by event id, for the intake's queue to pick up. */
const publishing = new Map<string, EntryResult>();
/** Each queued entry's settlement, by event id, while the call that published it waits. */
const settlements = new Map<string, Promise<void>>();

/** The intake, as in AWS: the same trust screen, then the send queue with the tenant as group. */
function localIntake(): SendIntake {
  intake ??= new SendIntake({
    publisher: trustedPublisher(),
    logger: serviceLogger(),
    queue: {
      async enqueue(messages) {
        localSendQueue().enqueue(
          messages.map((message) => {
            const queued = queuedSend(sqsRecordOf(message.body), publishing.get(message.id) ?? { EventId: message.id });
            settlements.set(message.id, queued.settled);
            return { id: randomUUID(), group: message.group, payload: queued };
          }),
        );
        return { failedIds: [] };
      },
    },
  });
  return intake;
}

/** A new entry on the queue, remembered by its event id. */
function queuedSend(record: SQSRecord, result: EntryResult): QueuedSend {
  Object.assign(result, { outcome: 'pending', deliveries: 0, redeliveryDelaysSeconds: [] });
  remember(result);
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return { record, result, settled, settle };
}

function remember(result: EntryResult): void {
  if (!result.EventId) return;
  entries.delete(result.EventId);
  entries.set(result.EventId, result);
  if (entries.size > REMEMBERED_ENTRIES) entries.delete(entries.keys().next().value as string);
}

/**
 * Plays EventBridge (the rule on source + detail-type), the intake and SQS around the real send
 * function (see {@link localSendQueue}). Answers each entry's outcome once it has one, or at once
 * with `?wait=false` (202 with the event ids; `GET /local/events/{eventId}` answers later).
 */
export const eventBridgeEventsEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/events',
  description:
    'EventBridge PutEvents → rule → intake → SQS fair queue → send function (answers each entry’s outcome; ?wait=false answers 202 at once)',
  async handle({ body, url }) {
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
    const wait = url.searchParams.get('wait') !== 'false';
    const eventSource = process.env.EVENT_SOURCE ?? 'app.automations';
    const matched: Array<{ event: Record<string, unknown>; result: EntryResult }> = [];
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
      const result: EntryResult = { EventId: eventId };
      matched.push({ event: eventBridgeEvent(eventId, entry.Source, entry.DetailType, detail), result });
      return result;
    });
    for (const result of results) if (result.outcome === 'not_matched') remember(result);
    const settled = await accept(matched);
    if (!wait) {
      return jsonResponse(202, {
        FailedEntryCount: results.filter((result) => result.ErrorCode).length,
        Entries: results.map((result) =>
          result.ErrorCode ? result : { EventId: result.EventId, outcome: result.outcome ?? 'pending' },
        ),
      });
    }
    await Promise.all(settled);
    return jsonResponse(200, {
      FailedEntryCount: results.filter((result) => result.ErrorCode).length,
      Entries: results,
    });
  },
};

/** Hands matched events to the intake; answers a promise per queued entry that resolves with its outcome. */
async function accept(
  matched: Array<{ event: Record<string, unknown>; result: EntryResult }>,
): Promise<Promise<void>[]> {
  if (matched.length === 0) return [];
  for (const { event, result } of matched) publishing.set(event.id as string, result);
  try {
    const intakeResults = await withOwnLogger(() => localIntake().accept(matched.map(({ event }) => event)));
    const waits: Promise<void>[] = [];
    for (const intakeResult of intakeResults) {
      const id = intakeResult.eventId ?? '';
      const result = publishing.get(id);
      if (intakeResult.kind === 'refused' && result) {
        Object.assign(result, { outcome: 'failed', code: intakeResult.code });
        remember(result);
      }
      const settled = settlements.get(id);
      if (settled) waits.push(settled);
      settlements.delete(id);
    }
    return waits;
  } finally {
    for (const { event } of matched) publishing.delete(event.id as string);
  }
}

/** `GET /local/events/{eventId}`: an entry's outcome — `pending` while the queue still works on it. */
export const eventOutcomeEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/local/events/{eventId}',
  description: 'one published event’s outcome (pending while the local queue works on it)',
  async handle({ pathParameters }) {
    const result = entries.get(pathParameters?.eventId ?? '');
    if (!result) {
      return problemResponse(
        'not_found',
        'No event with this id was published to this local runtime since it started (it remembers the latest 10,000).',
      );
    }
    return jsonResponse(200, result);
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

/** Records a final outcome on its entry. */
function settle(message: QueuedSend, { outcome }: RecordOutcome): void {
  const { result } = message;
  if (outcome.kind === 'sent') Object.assign(result, { outcome: 'sent', providerMessageId: outcome.providerMessageId });
  else if (outcome.kind === 'duplicate') Object.assign(result, { outcome: 'duplicate' });
  else if (outcome.kind === 'suppressed') Object.assign(result, { outcome: 'suppressed' });
  else if (outcome.kind === 'failed')
    Object.assign(result, { outcome: 'failed', code: outcome.code, detail: outcome.detail });
  message.settle();
}

/**
 * Delivers what `npm run ops -- redrive` put back on the send queue, as Lambda's event source
 * polls SQS: every `intervalMs` while the runtime runs, each in its tenant's group.
 */
export function pollLocalSendQueue(intervalMs = 500): { stop(): Promise<void> } {
  const timer = setInterval(() => {
    try {
      const letters = localQueueFile().takeWaiting();
      if (letters.length === 0) return;
      localSendQueue().enqueue(
        letters.map((letter) => ({
          id: randomUUID(),
          group: sendGroupOf(safeDetail(letter.body)),
          payload: queuedSend(sqsRecordOf(letter.body), { EventId: letter.id }),
        })),
      );
    } catch (error) {
      serviceLogger().error('could not deliver redriven messages', { error: describeError(error) });
    }
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await sendQueue?.idle();
    },
  };
}

function safeDetail(body: string): unknown {
  try {
    return (JSON.parse(body) as { detail?: unknown }).detail;
  } catch {
    return undefined;
  }
}

/** Messages being delivered, by SQS message id, so the scheduler can note delays on them. */
const onQueue = new Map<string, QueuedSend>();

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
      // The local queue takes the message back as new when its consumer batch ends (see localSendQueue).
      async requeue() {},
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

/** An EventBridge event as the local bus stamps it (the local account, this region). */
export function eventBridgeEvent(
  eventId: string,
  source: string,
  detailType: string,
  detail: unknown,
  now: number = Date.now(),
): Record<string, unknown> {
  return {
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
}

/** The SQS record an EventBridge → SQS target would deliver: the whole event as the body. */
export function sqsRecord(
  eventId: string,
  source: string,
  detailType: string,
  detail: unknown,
  now: number = Date.now(),
): SQSRecord {
  return sqsRecordOf(JSON.stringify(eventBridgeEvent(eventId, source, detailType, detail, now)), now);
}

/** The SQS record the send function gets for a message body. */
export function sqsRecordOf(body: string, now: number = Date.now()): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: '0',
      SentTimestamp: String(now),
      SenderId: 'intake',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:email-send-requests',
    awsRegion: process.env.AWS_REGION ?? 'eu-central-1',
  };
}
