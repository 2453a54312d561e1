import type { SentSettle } from './send-ledger.js';

/** How long the first queued settle of a batch waits for the others at most (only a bound for a slow send). */
export const BATCH_SETTLE_WINDOW_MS = 1_000;

/**
 * Counts a batch's sends down and calls `allWaiting` once each has said its part is over. The
 * dispatcher uses it to tell when every send has nothing left to do but wait for its announcement,
 * so the publisher sends what it gathered at once instead of waiting out its window for
 * announcements that will not come (the batch, and the Lambda invocation, ends that much sooner);
 * {@link BatchSettles} uses it to write the batch's settles once every send has queued or left.
 */
export class BatchCompletion {
  private open: number;

  constructor(
    sends: number,
    private readonly allWaiting: () => void,
  ) {
    this.open = sends;
  }

  /** A send's own part is over; returns the function that says so once, however often it is called. */
  member(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.open -= 1;
      if (this.open === 0) this.allWaiting();
    };
  }
}

/** One send of a batch, as {@link BatchSettles} counts it. */
export interface SettleMember {
  /** Queues this send's settle; resolves once it is written (rejects when the write failed). */
  settle(settle: SentSettle): Promise<void>;
  /** This send will not settle as sent (any other outcome): the batch stops waiting for it. Idempotent. */
  done(): void;
}

/**
 * Gathers the sent settles of one SQS batch into one ledger write (`SendLedger.settleSent`, one
 * BatchWriteItem for the batch) instead of one write per message. Every send of the batch is a
 * member; the write goes out when each member has either queued its settle or said it will not
 * settle (its outcome was anything but sent), or {@link BATCH_SETTLE_WINDOW_MS} after the first
 * settle was queued, whichever comes first. A send's outcome is announced only after its settle
 * is written, as before.
 */
export class BatchSettles {
  /** Counts the members that have queued their settle or left; the last one flushes. */
  private readonly members: BatchCompletion;
  private queued: Array<{ settle: SentSettle; resolve: () => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    members: number,
    private readonly write: (settles: readonly SentSettle[]) => Promise<void>,
    private readonly windowMs = BATCH_SETTLE_WINDOW_MS,
  ) {
    this.members = new BatchCompletion(members, () => this.flush());
  }

  /** A member for one send; each send of the batch takes exactly one. */
  member(): SettleMember {
    const leave = this.members.member();
    return {
      settle: (settle) => {
        const written = new Promise<void>((resolve, reject) => {
          this.queued.push({ settle, resolve, reject });
        });
        this.timer ??= setTimeout(() => this.flush(), this.windowMs);
        leave();
        return written;
      },
      done: leave,
    };
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    this.write(batch.map((entry) => entry.settle)).then(
      () => {
        for (const entry of batch) entry.resolve();
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  }
}
