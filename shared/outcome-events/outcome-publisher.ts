import type { EventBridgeClient, PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { tunedAwsClient } from '../aws-client-tuning.js';
import { OUTCOME_EVENT_SOURCE, type OutcomeEvent } from './outcome-events.js';

/** Publishes outcome events; throws {@link OutcomePublishError} when some could not be published. */
export interface OutcomePublisher {
  publish(events: readonly OutcomeEvent[]): Promise<void>;
  /** Sends at once what waits to share a call (a publisher that gathers announcements). */
  flush?(): void;
}

/** Some outcome events were not published after every attempt (the bus refused them or could not be reached). */
export class OutcomePublishError extends Error {
  override readonly name = 'OutcomePublishError';

  constructor(
    /** How many events were left unpublished. */
    readonly unpublished: number,
    /** EventBridge's error code for the last refusal, when it gave one (never an event's content). */
    readonly lastErrorCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `${unpublished} outcome event(s) could not be published${lastErrorCode ? ` (${lastErrorCode})` : ''}.`,
      options,
    );
  }
}

/** Whether one event is on the bus; when not, EventBridge's last error code for it (never its content). */
export type PublishResult = { published: true } | { published: false; errorCode?: string; error?: unknown };

/** Throws {@link OutcomePublishError} naming how many of the results are not on the bus, if any. */
export function throwIfUnpublished(results: readonly PublishResult[]): void {
  const unpublished = results.filter((result) => !result.published);
  if (unpublished.length === 0) return;
  throw new OutcomePublishError(unpublished.length, unpublished.findLast((result) => result.errorCode)?.errorCode, {
    cause: unpublished.findLast((result) => result.error)?.error,
  });
}

/** A publisher that says of each event whether it was published (for {@link CoalescingOutcomePublisher}). */
export interface EachOutcomePublisher {
  publishEach(events: readonly OutcomeEvent[]): Promise<PublishResult[]>;
}

/** Options for {@link EventBridgeOutcomePublisher}. */
export interface EventBridgePublisherOptions {
  /** The service's own bus. */
  busName: string;
  /** A ready-made client (tests pass a mocked one; the local runtime points one at its local bus). */
  client?: Pick<EventBridgeClient, 'send'>;
  /** Attempts per event, the first included (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled after each (default 100 ms). */
  backoffMs?: number;
}

/** PutEvents takes at most 10 entries per call. */
export const ENTRIES_PER_CALL = 10;

/**
 * Publishes outcome events with EventBridge `PutEvents` on the service's bus. PutEvents can
 * succeed as a call and still refuse some entries (`FailedEntryCount`, an `ErrorCode` per
 * entry): exactly those entries are sent again, as are all of a call that failed outright, a
 * bounded number of times with backoff. What is still unpublished then is an
 * {@link OutcomePublishError}: the caller decides whether to retry later (the send path does,
 * through the queue) or to log and count it (card changes).
 */
export class EventBridgeOutcomePublisher implements OutcomePublisher, EachOutcomePublisher {
  private client: Promise<Pick<EventBridgeClient, 'send'>> | undefined;
  private commands: Promise<typeof import('@aws-sdk/client-eventbridge')> | undefined;

  constructor(private readonly options: EventBridgePublisherOptions) {
    if (options.client) this.client = Promise.resolve(options.client);
  }

  /**
   * The SDK's EventBridge module, loaded on the first publish: most functions that may announce a
   * card change (checkers, routes) seldom do, and a cold start then does not pay for it.
   */
  private sdk(): Promise<typeof import('@aws-sdk/client-eventbridge')> {
    this.commands ??= import('@aws-sdk/client-eventbridge');
    return this.commands;
  }

  private eventBridge(): Promise<Pick<EventBridgeClient, 'send'>> {
    this.client ??= this.sdk().then(({ EventBridgeClient }) =>
      tunedAwsClient(
        new EventBridgeClient({
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
        }),
      ),
    );
    return this.client;
  }

  async publish(events: readonly OutcomeEvent[]): Promise<void> {
    throwIfUnpublished(await this.publishEach(events));
  }

  /** Publishes the events and says of each, in order, whether it is on the bus; never throws. */
  async publishEach(events: readonly OutcomeEvent[]): Promise<PublishResult[]> {
    const results: PublishResult[] = [];
    for (let start = 0; start < events.length; start += ENTRIES_PER_CALL) {
      results.push(
        ...(await this.put(events.slice(start, start + ENTRIES_PER_CALL).map((event) => this.entryOf(event)))),
      );
    }
    return results;
  }

  private async put(entries: PutEventsRequestEntry[]): Promise<PublishResult[]> {
    const attempts = this.options.attempts ?? 3;
    const results: PublishResult[] = entries.map(() => ({ published: true }));
    // Positions (in `entries`) still to publish.
    let pending = entries.map((_entry, index) => index);
    let lastErrorCode: string | undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep((this.options.backoffMs ?? 100) * 2 ** (attempt - 2));
      let answers: PutEventsResultEntry[];
      try {
        const [{ PutEventsCommand }, client] = await Promise.all([this.sdk(), this.eventBridge()]);
        const answer = await client.send(
          new PutEventsCommand({ Entries: pending.map((index) => entries[index] as PutEventsRequestEntry) }),
        );
        if (!answer.FailedEntryCount) return results;
        answers = answer.Entries ?? [];
      } catch (error) {
        lastError = error;
        lastErrorCode = (error as { name?: string }).name;
        continue;
      }
      // Result entries are in request order; a refused one carries an ErrorCode.
      const refused = pending.filter((_index, position) => answers[position]?.ErrorCode !== undefined);
      lastErrorCode = answers.find((answer) => answer.ErrorCode)?.ErrorCode ?? lastErrorCode;
      // A count without per-entry codes: send them all again.
      pending = refused.length > 0 ? refused : pending;
    }
    for (const index of pending) {
      results[index] = {
        published: false,
        ...(lastErrorCode ? { errorCode: lastErrorCode } : {}),
        ...(lastError ? { error: lastError } : {}),
      };
    }
    return results;
  }

  private entryOf(event: OutcomeEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.options.busName,
      Source: OUTCOME_EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Time: new Date(event.detail.occurredAt),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
