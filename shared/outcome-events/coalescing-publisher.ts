import type { OutcomeEvent } from './outcome-events.js';
import {
  type EachOutcomePublisher,
  ENTRIES_PER_CALL,
  type OutcomePublisher,
  type PublishResult,
  throwIfUnpublished,
} from './outcome-publisher.js';

/**
 * How long an announcement waits for others to share its PutEvents call, by default: work that
 * finishes in waves (a feedback batch's messages, answering within a few milliseconds of each
 * other) gathers a wave into one call; an announcement is never held longer.
 */
export const COALESCE_WINDOW_MS = 5;

/**
 * The send path's window. Its sends run as SQS batches that flush their announcements as soon as
 * every send of the batch is done (`BatchCompletion`), so a batch of ten announces in one call
 * instead of one per wave of provider answers, and its invocation ends no later. The window only
 * bounds how long a finished send's announcement waits for a slow one of the same batch.
 */
export const BATCH_ANNOUNCE_WINDOW_MS = 250;

interface Waiting {
  event: OutcomeEvent;
  settle: (result: PublishResult) => void;
}

/**
 * Puts the outcome events that concurrent sends announce within {@link COALESCE_WINDOW_MS} into
 * one PutEvents call (up to 10 entries) instead of a call each: EventBridge bills per entry
 * either way, but a send function makes about a fifth of the calls, and each send spends less
 * time and CPU announcing. Each caller still learns about its own events only: an entry
 * EventBridge refused fails its announcer alone (who then has its request delivered again).
 * Nothing waits across invocations: every announcer awaits its own call, so by the time a
 * batch's sends have returned, their calls are done. A caller that knows no other announcement is
 * coming (the last send of a batch) calls {@link flush} instead of waiting out the window.
 */
export class CoalescingOutcomePublisher implements OutcomePublisher {
  private waiting: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly target: EachOutcomePublisher,
    private readonly windowMs = COALESCE_WINDOW_MS,
  ) {}

  async publish(events: readonly OutcomeEvent[]): Promise<void> {
    throwIfUnpublished(await Promise.all(events.map((event) => this.enqueue(event))));
  }

  private enqueue(event: OutcomeEvent): Promise<PublishResult> {
    return new Promise((settle) => {
      this.waiting.push({ event, settle });
      if (this.waiting.length >= ENTRIES_PER_CALL) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  /** Sends what waits, 10 entries per call, and tells each announcer how its event fared. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, ENTRIES_PER_CALL);
      this.target.publishEach(group.map((entry) => entry.event)).then(
        (results) => {
          for (const [index, entry] of group.entries()) entry.settle(results[index] ?? { published: false });
        },
        (error: unknown) => {
          for (const entry of group) entry.settle({ published: false, error });
        },
      );
    }
  }
}
