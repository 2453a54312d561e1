import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendGroupOf } from './send-event-screen.js';
import type { SendState } from './send-ledger.js';
import { eventBridgeEnvelope } from './send-request.js';

/** One message in a dead-letter queue: the EventBridge event the send queue could not get rid of. */
export interface DeadLetter {
  /** The queue's id for it (SQS MessageId; the local queue's event id). */
  id: string;
  /** The message body: the whole EventBridge event, as the rule's SQS target wrote it. */
  body: string;
}

/** A dead-letter queue and the send queue its messages go back to. */
export interface DeadLetterQueue {
  /** Where it is, for the operator. */
  readonly describe: string;
  /** Every dead letter, left where it is (the dry run). */
  list(): Promise<DeadLetter[]>;
  /** Moves every dead letter back onto the send queue, each removed only once it is there; how many moved. */
  moveAll(): Promise<number>;
}

/** What a dry run shows: how many, whose, and where their sends stand, never an address. */
export interface RedriveSummary {
  count: number;
  /** Dead letters per tenant (`unreadable` when the body is not a send request). */
  tenants: Record<string, number>;
  /** Dead letters per ledger state (`none`: never claimed), when the ledger was read. */
  ledgerStates?: Record<string, number>;
}

/**
 * What a redriven message does, by the state of its send in the ledger: the consumer decides
 * on redelivery exactly as on any delivery, so a redrive cannot send what the ledger settled.
 */
export const REDRIVE_BY_LEDGER_STATE: Readonly<Record<SendState | 'none', string>> = {
  none: 'sent (it never reached the provider)',
  retryable: 'sent (the provider certainly did not take it)',
  in_flight: 'retried after the claim’s lease; once the lease has run out it is recorded delivery_unknown, not sent',
  sent: 'nothing: counted as a duplicate',
  failed: 'nothing: counted as a duplicate (delivery_unknown stays not resent; republish with a new messageId)',
};

/** Tenant and messageId of a dead letter, when its body is a send request. */
export function sendIdsOf(letter: DeadLetter): { tenantId: string; messageId: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(letter.body);
  } catch {
    return undefined;
  }
  const envelope = eventBridgeEnvelope.safeParse(parsed);
  if (!envelope.success) return undefined;
  const detail = envelope.data.detail as { tenantId?: unknown; messageId?: unknown } | null;
  if (typeof detail?.tenantId !== 'string' || typeof detail.messageId !== 'string') return undefined;
  return { tenantId: detail.tenantId, messageId: detail.messageId };
}

/** The fair-queue group of a dead letter's body: its tenant, or the shared group of unreadable ones. */
function groupOfBody(body: string): string {
  try {
    return sendGroupOf((JSON.parse(body) as { detail?: unknown } | null)?.detail);
  } catch {
    return sendGroupOf(undefined);
  }
}

/** Counts dead letters per tenant and, given the ledger, per state of their sends. */
export async function summarizeDeadLetters(
  letters: DeadLetter[],
  ledger?: { get(tenantId: string, messageId: string): Promise<{ state: SendState } | undefined> },
): Promise<RedriveSummary> {
  const tenants: Record<string, number> = {};
  const states: Record<string, number> = {};
  for (const letter of letters) {
    const ids = sendIdsOf(letter);
    const tenant = ids?.tenantId ?? 'unreadable';
    tenants[tenant] = (tenants[tenant] ?? 0) + 1;
    if (ledger && ids) {
      const state = (await ledger.get(ids.tenantId, ids.messageId))?.state ?? 'none';
      states[state] = (states[state] ?? 0) + 1;
    }
  }
  return { count: letters.length, tenants, ...(ledger ? { ledgerStates: states } : {}) };
}

/** Options for {@link SqsDeadLetterQueue}. */
export interface SqsDeadLetterQueueOptions {
  queueUrl: string;
  deadLetterQueueUrl: string;
  client: SQSClient;
}

/** How long a message read by a redrive stays hidden from others while it is moved. */
const REDRIVE_VISIBILITY_SECONDS = 60;

/**
 * A deployed dead-letter queue: read with ReceiveMessage, moved with SendMessage to the send queue
 * and then DeleteMessage (so a failure in between leaves a copy in the dead-letter queue, never
 * none; the ledger makes the extra copy a duplicate). A redriven message starts a new receive count.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  readonly describe: string;

  constructor(private readonly options: SqsDeadLetterQueueOptions) {
    this.describe = `dead-letter queue ${options.deadLetterQueueUrl}`;
  }

  async list(): Promise<DeadLetter[]> {
    const { ChangeMessageVisibilityCommand } = await import('@aws-sdk/client-sqs');
    const seen = new Map<string, DeadLetter & { receiptHandle: string }>();
    for (;;) {
      const batch = await this.receive();
      const fresh = batch.filter((message) => !seen.has(message.id));
      if (fresh.length === 0) break;
      for (const message of fresh) seen.set(message.id, message);
    }
    // Visible again at once: a dry run changes nothing.
    for (const message of seen.values()) {
      await this.options.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.deadLetterQueueUrl,
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    return [...seen.values()].map(({ id, body }) => ({ id, body }));
  }

  async moveAll(): Promise<number> {
    const { DeleteMessageCommand, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    let moved = 0;
    for (;;) {
      const batch = await this.receive();
      if (batch.length === 0) return moved;
      for (const message of batch) {
        await this.options.client.send(
          // Back in its tenant's fair-queue group, as the intake queued it.
          new SendMessageCommand({
            QueueUrl: this.options.queueUrl,
            MessageBody: message.body,
            MessageGroupId: groupOfBody(message.body),
          }),
        );
        await this.options.client.send(
          new DeleteMessageCommand({
            QueueUrl: this.options.deadLetterQueueUrl,
            ReceiptHandle: message.receiptHandle,
          }),
        );
        moved += 1;
      }
    }
  }

  private async receive(): Promise<Array<DeadLetter & { receiptHandle: string }>> {
    const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    const { Messages } = await this.options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: REDRIVE_VISIBILITY_SECONDS,
      }),
    );
    return (Messages ?? []).flatMap((message) =>
      message.MessageId && message.ReceiptHandle && message.Body !== undefined
        ? [{ id: message.MessageId, body: message.Body, receiptHandle: message.ReceiptHandle }]
        : [],
    );
  }
}
