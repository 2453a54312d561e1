import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DeadLetter, DeadLetterQueue } from '../shared/sending/dead-letter-redrive.js';

/** The file's name in the local runtime's data folder. */
export const LOCAL_SEND_QUEUE_FILE_NAME = 'send-queue.json';

/** A dead letter of the local queue, with the last outcome that sent it there. */
export interface LocalDeadLetter extends DeadLetter {
  lastOutcome: unknown;
}

interface QueueFileContent {
  deadLetters: LocalDeadLetter[];
  /** Messages put back on the send queue (by `npm run ops -- redrive`), delivered by the runtime. */
  waiting: DeadLetter[];
}

/**
 * The local send queue's persistent part, one JSON file in the data folder: its dead letters,
 * and the messages a redrive put back, which the running local runtime picks up and delivers.
 * A file rather than memory, so `npm run ops -- redrive` sees them from another process.
 */
export class LocalSendQueueFile implements DeadLetterQueue {
  readonly describe: string;

  constructor(private readonly path: string) {
    this.describe = `the local runtime's dead letters (${path})`;
  }

  /** Every dead letter, oldest first. */
  async list(): Promise<LocalDeadLetter[]> {
    return this.read().deadLetters;
  }

  /** Puts every dead letter back on the send queue; the running local runtime delivers them. */
  async moveAll(): Promise<number> {
    const content = this.read();
    const moved = content.deadLetters.length;
    this.write({
      deadLetters: [],
      waiting: [...content.waiting, ...content.deadLetters.map(({ id, body }) => ({ id, body }))],
    });
    return moved;
  }

  /** Adds a message the queue gave up on. */
  addDeadLetter(letter: LocalDeadLetter): void {
    const content = this.read();
    this.write({ ...content, deadLetters: [...content.deadLetters, letter] });
  }

  /** Takes the messages waiting on the send queue, leaving none. */
  takeWaiting(): DeadLetter[] {
    const content = this.read();
    if (content.waiting.length === 0) return [];
    this.write({ ...content, waiting: [] });
    return content.waiting;
  }

  private read(): QueueFileContent {
    if (!existsSync(this.path)) return { deadLetters: [], waiting: [] };
    const content = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<QueueFileContent>;
    return { deadLetters: content.deadLetters ?? [], waiting: content.waiting ?? [] };
  }

  private write(content: QueueFileContent): void {
    // Whole file at once: a reader in another process never sees half of it.
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(content, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
