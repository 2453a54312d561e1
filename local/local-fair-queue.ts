/** One message on the local queue. */
export interface LocalQueueMessage<T> {
  id: string;
  /** The fair queue's message group (the tenant). */
  group: string;
  payload: T;
  /** Deliveries so far (SQS's ApproximateReceiveCount after this delivery). */
  receives: number;
}

/** What a consumer asks for the messages of one batch it did not finish: deliver again after `delayMs`. */
export interface LocalQueueRetry {
  id: string;
  delayMs: number;
  /** Queued again as a new message (SQS SendMessage): its receive count starts over. */
  fresh?: boolean;
}

/** Options for {@link LocalFairQueue}. */
export interface LocalFairQueueOptions<T> {
  /** Consumes one batch; answers the messages to deliver again. Every other message is deleted. */
  consume(batch: LocalQueueMessage<T>[]): Promise<LocalQueueRetry[]>;
  /** Called for a message that asked for a retry after its last allowed delivery. */
  deadLetter(message: LocalQueueMessage<T>): void;
  /** Largest batch (SQS event source: 10). */
  batchSize: number;
  /** Batches in flight at once (send functions running at once). */
  workers: number;
  /** Deliveries before a message goes to the dead-letter queue. */
  maxReceiveCount: number;
  /**
   * `true`: SQS fair-queue delivery — each batch takes the waiting messages of the groups with the
   * fewest messages in flight first, one group after another, so a quiet group is not held behind
   * a flooding one. `false`: plain first-in-first-out (the benchmark's baseline).
   */
  fair: boolean;
  now?: () => number;
}

interface Waiting<T> {
  message: LocalQueueMessage<T>;
  visibleAt: number;
  seq: number;
}

/**
 * The local stand-in for the send queue and its event source mapping: messages with a group,
 * batches handed to a consumer with a bounded number in flight, redelivery after the delay the
 * consumer asks for, and a dead-letter queue after `maxReceiveCount` deliveries. With `fair` on
 * it emulates SQS fair queues: when one group holds a disproportionate share of the messages in
 * flight and waiting, the other groups' messages go first.
 */
export class LocalFairQueue<T> {
  private readonly waiting: Waiting<T>[] = [];
  private readonly inFlight = new Map<string, number>();
  private running = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly now: () => number;

  constructor(private readonly options: LocalFairQueueOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** Puts messages on the queue, visible now. */
  enqueue(messages: Array<{ id: string; group: string; payload: T }>): void {
    const now = this.now();
    for (const message of messages) {
      this.waiting.push({ message: { ...message, receives: 0 }, visibleAt: now, seq: this.seq++ });
    }
    this.pump();
  }

  /** Messages waiting or in flight. */
  get size(): number {
    return this.waiting.length + this.running;
  }

  /** Resolves once nothing waits and nothing is in flight. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops every waiting message (the benchmark stops a flood once it has what it measures). */
  clear(): void {
    this.waiting.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.settleIdle();
  }

  private pump(): void {
    while (this.running < this.options.workers) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      this.running += 1;
      for (const message of batch) this.inFlight.set(message.group, (this.inFlight.get(message.group) ?? 0) + 1);
      void this.run(batch);
    }
    this.scheduleWake();
    this.settleIdle();
  }

  private async run(batch: LocalQueueMessage<T>[]): Promise<void> {
    let retries: LocalQueueRetry[];
    try {
      retries = await this.options.consume(batch);
    } catch {
      // A failed invocation: every message of the batch comes back, as SQS does after the visibility timeout.
      retries = batch.map((message) => ({ id: message.id, delayMs: 0 }));
    }
    const delays = new Map(retries.map((retry) => [retry.id, retry]));
    const now = this.now();
    for (const message of batch) {
      this.inFlight.set(message.group, (this.inFlight.get(message.group) ?? 1) - 1);
      if (this.inFlight.get(message.group) === 0) this.inFlight.delete(message.group);
      const retry = delays.get(message.id);
      if (retry === undefined) continue;
      if (retry.fresh) message.receives = 0;
      if (message.receives >= this.options.maxReceiveCount) this.options.deadLetter(message);
      else this.waiting.push({ message, visibleAt: now + retry.delayMs, seq: this.seq++ });
    }
    this.running -= 1;
    this.pump();
  }

  /** The next batch of visible messages: fair across groups, or oldest first. */
  private takeBatch(): LocalQueueMessage<T>[] {
    const now = this.now();
    const visible = this.waiting.filter((entry) => entry.visibleAt <= now).sort((a, b) => a.seq - b.seq);
    if (visible.length === 0) return [];
    let chosen: Waiting<T>[];
    if (!this.options.fair) {
      chosen = visible.slice(0, this.options.batchSize);
    } else {
      // Groups in order of messages in flight (fewest first), then of their oldest waiting message;
      // one message from each in turn, so one group's backlog cannot fill the batch while others wait.
      const byGroup = new Map<string, Waiting<T>[]>();
      for (const entry of visible) {
        const list = byGroup.get(entry.message.group) ?? [];
        list.push(entry);
        byGroup.set(entry.message.group, list);
      }
      const groups = [...byGroup.entries()].sort(
        ([groupA, a], [groupB, b]) =>
          (this.inFlight.get(groupA) ?? 0) - (this.inFlight.get(groupB) ?? 0) || (a[0]?.seq ?? 0) - (b[0]?.seq ?? 0),
      );
      chosen = [];
      for (let round = 0; chosen.length < this.options.batchSize; round += 1) {
        let took = false;
        for (const [, entries] of groups) {
          const entry = entries[round];
          if (!entry) continue;
          chosen.push(entry);
          took = true;
          if (chosen.length === this.options.batchSize) break;
        }
        if (!took) break;
      }
    }
    const taken = new Set(chosen);
    for (let index = this.waiting.length - 1; index >= 0; index -= 1) {
      if (taken.has(this.waiting[index] as Waiting<T>)) this.waiting.splice(index, 1);
    }
    return chosen.map((entry) => {
      entry.message.receives += 1;
      return entry.message;
    });
  }

  /** Wakes the pump when the next held-back message becomes visible. */
  private scheduleWake(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running >= this.options.workers || this.waiting.length === 0) return;
    const next = Math.min(...this.waiting.map((entry) => entry.visibleAt));
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, next - this.now()),
    );
    this.timer.unref();
  }

  private settleIdle(): void {
    if (this.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
