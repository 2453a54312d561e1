import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http-body.js';

/** One event the service published, as the local bus recorded it. */
export interface PublishedEvent {
  /** Position on the local bus, from 1: `?since=` takes it. */
  sequence: number;
  /** EventBridge's id of this publication (a re-publication gets a new one; `detail.eventId` stays). */
  id: string;
  eventBusName: string | null;
  source: string;
  detailType: string;
  time: string;
  detail: unknown;
}

/** The service's own bus, locally: records every PutEvents entry the functions send. */
export interface LocalEventBus {
  /** The endpoint the service's EventBridge client is pointed at (`AWS_ENDPOINT_URL_EVENTBRIDGE`). */
  url: string;
  /** What was published after `since` (a sequence number), oldest first, at most `limit`. */
  published(options?: { since?: number; limit?: number }): PublishedEvent[];
  /** Refuses the next `times` entries as PutEvents does under trouble (`FailedEntryCount`, `ErrorCode`). */
  refuseNext(times: number): void;
  close(): Promise<void>;
}

/** The most events the local bus keeps (oldest dropped first). */
const MAX_KEPT = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A local stand-in for EventBridge's `PutEvents` (JSON 1.1 protocol, `X-Amz-Target:
 * AWSEvents.PutEvents`), so the real SDK client and publisher run unchanged: the runtime points
 * them here through the standard `AWS_ENDPOINT_URL_EVENTBRIDGE`. It accepts and records entries
 * (what `GET /local/published-events` lists); no rule runs on them, as none of the stack's rules
 * takes the service's own events.
 */
export async function startLocalEventBus(options: { host?: string; port?: number } = {}): Promise<LocalEventBus> {
  const events: PublishedEvent[] = [];
  let sequence = 0;
  let refusals = 0;
  const server: Server = createServer(async (request, response) => {
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };
    const body = await readBody(request, MAX_BODY_BYTES);
    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      answer(400, { __type: 'UnknownOperationException', message: `The local bus answers only PutEvents.` });
      return;
    }
    let input: { Entries?: Array<Record<string, unknown>> };
    try {
      if (body === 'too_large') throw new Error('too large');
      input = JSON.parse(body.toString('utf8'));
    } catch {
      answer(400, { __type: 'ValidationException', message: 'The body is not a PutEvents request.' });
      return;
    }
    const entries = input.Entries ?? [];
    if (entries.length < 1 || entries.length > 10) {
      answer(400, { __type: 'ValidationException', message: 'PutEvents takes 1 to 10 entries.' });
      return;
    }
    const results = entries.map((entry) => {
      if (refusals > 0) {
        refusals -= 1;
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'Refused by the local bus (refuseNext).' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(String(entry.Detail ?? ''));
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const id = randomUUID();
      sequence += 1;
      events.push({
        sequence,
        id,
        eventBusName: typeof entry.EventBusName === 'string' ? entry.EventBusName : null,
        source: String(entry.Source ?? ''),
        detailType: String(entry.DetailType ?? ''),
        // The SDK sends Time as epoch seconds.
        time: new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : Date.now()).toISOString(),
        detail,
      });
      if (events.length > MAX_KEPT) events.shift();
      return { EventId: id };
    });
    answer(200, { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    published: ({ since = 0, limit = 1000 } = {}) => events.filter((event) => event.sequence > since).slice(0, limit),
    refuseNext: (times) => {
      refusals = times;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The local bus's name (`OUTCOME_EVENT_BUS_NAME` locally), as the stack names it per stage. */
export const LOCAL_EVENT_BUS_NAME = 'email-integrations-local';
