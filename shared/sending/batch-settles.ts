import type { SentSettle } from './send-ledger.js';

/** How long the first queued settle of a batch waits for the others at most (only a bound for a slow send). */
export const BATCH_SETTLE_WINDOW_MS = 1_000;

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
  private open: number;
  private queued: Array<{ settle: SentSettle; resolve: () => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    members: number,
    private readonly write: (settles: readonly SentSettle[]) => Promise<void>,
    private readonly windowMs = BATCH_SETTLE_WINDOW_MS,
  ) {
    this.open = members;
  }

  /** A member for one send; each send of the batch takes exactly one. */
  member(): SettleMember {
    let counted = false;
    const leave = () => {
      if (counted) return;
      counted = true;
      this.open -= 1;
      if (this.open <= 0) this.flush();
    };
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
