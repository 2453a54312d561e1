import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  type DynamoDBClientConfig,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { cachedMiddlewareClient, documentClient } from '../dynamo-document-client.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import type { BounceType, MessageStatus } from './message-status.js';
import { SEND_LEDGER_RETENTION_SECONDS } from './send-ledger-table.js';
import type { PermanentSendCode, RetrySendCode, SendOutcomeCode } from './send-outcomes.js';

/**
 * Where a send stands:
 * - `in_flight`: an attempt holds the claim and may be talking to the provider right now;
 * - `retryable`: the last attempt got a definite "not accepted" (5xx, 429, no connection);
 * - `sent`: the provider accepted it; `failed`: given up for good, with the reason.
 */
export type SendState = 'in_flight' | 'retryable' | 'sent' | 'failed';

/**
 * A message's status as the tenant sees it (`GET /messages`). It moves forward only: `sending`
 * while an attempt may still run; then `accepted`, `failed` (with its code) or
 * `delivery_unknown`; provider feedback moves an accepted message on to `delivered`,
 * `deferred`, `bounced`, `complained`, `dropped`; `suppressed` when no recipient was left.
 */
export type { MessageStatus } from './message-status.js';

/** One provider event that moved a message (no content; the recipient stays with the message). */
export interface MessageTimelineEntry {
  type: string;
  at: string;
  recipient?: string;
  reason?: string;
  /** For bounces: hard or soft. */
  bounceType?: BounceType;
}

/**
 * One recipient of a message (to, cc and bcc alike) and what the provider said about it. The
 * address is the tenant's data: kept only here (same TTL as the message), shown only to that
 * tenant, never logged. `status` is absent until the provider reports on this recipient.
 */
export interface RecipientState {
  email: string;
  status?: MessageStatus;
  bounceType?: BounceType;
  reason?: string;
  /** When the provider's event that set `status` happened. */
  at?: string;
}

/** One ledger item: one (tenant, messageId). Holds no message content and no key. */
export interface SendLedgerEntry {
  sendKey: string;
  tenantId: string;
  messageId: string;
  state: SendState;
  /** What the tenant sees; absent only on items written before it existed. */
  status?: MessageStatus;
  /** When the send was first recorded (the tenant/time index's sort key). */
  createdAt?: string;
  timeline?: MessageTimelineEntry[];
  /** Every recipient, recorded with the first claim (absent on items written before recipients were kept). */
  recipients?: RecipientState[];
  /** The message's bounce kind when its status is `bounced`. */
  bounceType?: BounceType;
  /** Bumped by every feedback write: the feedback applier's optimistic lock. */
  feedbackVersion?: number;
  /** Short digests of the provider events already applied (duplicates apply once). */
  feedbackEventIds?: Set<string>;
  attemptId: string;
  attempts: number;
  /** Epoch ms until which an `in_flight` claim is presumed alive. */
  leaseUntil: number;
  updatedAt: string;
  providerMessageId?: string | null;
  failureCode?: SendOutcomeCode;
  failureDetail?: string;
  /**
   * Recipients taken out because the tenant suppressed them (normalised addresses). The tenant's
   * data, kept only with the message (same TTL), never logged.
   */
  suppressedRecipients?: string[];
  expiresAt: number;
}

/** What a claim writes besides the key and the attempt count. */
type ClaimFields = Omit<SendLedgerEntry, 'sendKey' | 'tenantId' | 'messageId' | 'attempts'>;

/** Who a sent message went to, when the tenant's suppression list held some of its recipients back. */
export interface RecipientScreening {
  /** The recipients it was sent to (to, cc, bcc). */
  recipients: readonly string[];
  /** The normalised addresses held back. */
  suppressedRecipients: readonly string[];
}

/** A sent message's settle, as a batch of them is written at once ({@link SendLedger.settleSent}). */
export interface SentSettle {
  /** The entry as this attempt's claim left it. */
  claimed: SendLedgerEntry;
  providerMessageId: string | null;
  screening?: RecipientScreening;
}

/** Rounds of a batch settle's unprocessed items before it gives up; DynamoDB leaves items unprocessed under throttling. */
const SETTLE_ROUNDS = 4;
/** Items per BatchWriteItem (DynamoDB's limit). */
const BATCH_WRITE_ITEMS = 25;

/** What claiming a send found. */
export type ClaimResult =
  /** This attempt holds the claim; `entry` is the item as the claim left it (its `attempts` so far; what a sent settle writes over). */
  | { kind: 'claimed'; entry: SendLedgerEntry }
  /** Already sent or failed: this delivery is a duplicate. */
  | { kind: 'settled'; entry: SendLedgerEntry }
  /** Another attempt holds a live claim: try again after its lease. */
  | { kind: 'busy'; entry: SendLedgerEntry }
  /**
   * An earlier attempt claimed it and vanished (function timeout, crash) without saying how
   * its call ended: the mail may have gone out. We never resend then (see README: at most once).
   */
  | { kind: 'abandoned'; entry: SendLedgerEntry };

export interface SendLedgerOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  /** The claim and settle writes, made on every send (default: a low-level client with cached middleware). */
  writer?: DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
  now?: () => number;
}

/**
 * The idempotency record of the send path, one conditional single-item write per step (no
 * transactions, so dynalite runs it too). The claim is written right before the provider
 * call, after everything that can fail slowly (reads, decryption) is done, so an abandoned
 * claim almost always means the call itself was cut off.
 */
export class SendLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly writer: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => number;

  constructor(options: SendLedgerOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.client = options.client ?? documentClient(options.clientConfig);
    this.writer = options.writer ?? cachedMiddlewareClient(options.clientConfig);
  }

  /** The entry for a send, read strongly consistent. */
  async get(tenantId: string, messageId: string): Promise<SendLedgerEntry | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { sendKey: sendKey(tenantId, messageId) },
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item as SendLedgerEntry | undefined;
  }

  /**
   * Takes the claim for one attempt, unless the send is settled or another attempt holds it.
   * A message's first claim is one conditional put (nothing may be there yet); only a message
   * whose last attempt was `retryable` is claimed again with a conditional update that keeps its
   * first recording. The put carries no update expression and returns nothing, so the write every
   * send makes is the cheapest one DynamoDB has. When a write is refused, DynamoDB returns the
   * entry that refused it (`ReturnValuesOnConditionCheckFailure`), so a duplicate costs no second
   * read. A refusal by our own claim means the SDK retried a write whose first response was lost:
   * it is ours.
   */
  async claim(
    tenantId: string,
    messageId: string,
    attemptId: string,
    leaseMs: number,
    attempt: { recipients?: readonly string[] } = {},
  ): Promise<ClaimResult> {
    const now = this.now();
    const recipients = (attempt.recipients ?? []).map((email): RecipientState => ({ email }));
    const claimed: ClaimFields = {
      state: 'in_flight',
      status: 'sending',
      createdAt: new Date(now).toISOString(),
      recipients,
      attemptId,
      leaseUntil: now + leaseMs,
      updatedAt: new Date(now).toISOString(),
      expiresAt: Math.floor(now / 1000) + SEND_LEDGER_RETENTION_SECONDS,
    };
    const first: SendLedgerEntry = {
      sendKey: sendKey(tenantId, messageId),
      tenantId,
      messageId,
      ...claimed,
      attempts: 1,
    };
    let refusal = await this.claimWrite(() =>
      this.writer
        .send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: marshall(first),
            // Atomic per item: of two racing first attempts, exactly one finds the entry absent.
            ConditionExpression: 'attribute_not_exists(sendKey)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        )
        .then(() => first),
    );
    if (refusal.kind === 'claimed') return refusal;
    let existing = refusal.entry ?? (await this.get(tenantId, messageId));
    if (existing?.state === 'retryable') {
      refusal = await this.claimWrite(() => this.reclaim(tenantId, messageId, claimed));
      if (refusal.kind === 'claimed') return refusal;
      existing = refusal.entry ?? (await this.get(tenantId, messageId));
    }
    // Gone meanwhile (its TTL ran out): claim afresh.
    if (!existing) return this.claim(tenantId, messageId, attemptId, leaseMs, attempt);
    if (existing.state === 'in_flight' && existing.attemptId === attemptId) {
      return { kind: 'claimed', entry: existing };
    }
    if (existing.state === 'sent' || existing.state === 'failed') return { kind: 'settled', entry: existing };
    return existing.state === 'in_flight' && existing.leaseUntil <= this.now()
      ? { kind: 'abandoned', entry: existing }
      : { kind: 'busy', entry: existing };
  }

  /**
   * Claims a send whose last attempt ended `retryable`: the first claim's time and recipients
   * stay, the attempt count goes up. Resolves to the entry as it now is.
   */
  private async reclaim(tenantId: string, messageId: string, claimed: ClaimFields): Promise<SendLedgerEntry> {
    const { createdAt, recipients, ...current } = claimed;
    const names: Record<string, string> = { '#state': 'state', '#attempts': 'attempts' };
    const values: Record<string, unknown> = { ':retryable': 'retryable', ':one': 1 };
    const assignments = Object.entries(current).flatMap(([field, value]) => {
      if (value === undefined) return [];
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      return [`#${field} = :${field}`];
    });
    for (const [field, value] of Object.entries({ createdAt, recipients })) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      assignments.push(`#${field} = if_not_exists(#${field}, :${field})`);
    }
    const result = await this.writer.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ sendKey: sendKey(tenantId, messageId) }),
        // Of two racing attempts, exactly one still finds the entry retryable.
        ConditionExpression: '#state = :retryable',
        UpdateExpression: `SET ${assignments.join(', ')} ADD #attempts :one`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return unmarshall(result.Attributes ?? {}) as SendLedgerEntry;
  }

  /** One claiming write: claimed, or refused with the entry that refused it when DynamoDB returns it. */
  private async claimWrite(
    write: () => Promise<SendLedgerEntry>,
  ): Promise<{ kind: 'claimed'; entry: SendLedgerEntry } | { kind: 'refused'; entry: SendLedgerEntry | undefined }> {
    try {
      const entry = await this.call(write);
      return { kind: 'claimed', entry };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // DynamoDB returns the item in its wire format; a DynamoDB that does not (dynalite) leaves it to a read.
      return {
        kind: 'refused',
        entry: error.Item ? (unmarshall(error.Item) as SendLedgerEntry) : undefined,
      };
    }
  }

  /**
   * The provider accepted the message. When the tenant's list held some recipients back, the
   * entry's recipients become those it was sent to, and the others are recorded as suppressed
   * (the claim, made before the screening, holds every recipient).
   */
  markSent(
    tenantId: string,
    messageId: string,
    attemptId: string,
    providerMessageId: string | null,
    screening?: RecipientScreening,
  ): Promise<boolean> {
    return this.settle(tenantId, messageId, attemptId, {
      state: 'sent',
      status: 'accepted',
      providerMessageId,
      ...screenedFields(screening),
    });
  }

  /** None of the message's addressees may be mailed (the tenant suppressed them all): settled `suppressed`, the provider never called. */
  markSuppressed(
    tenantId: string,
    messageId: string,
    attemptId: string,
    suppressedRecipients: readonly string[],
  ): Promise<boolean> {
    return this.settle(tenantId, messageId, attemptId, {
      state: 'failed',
      status: 'suppressed',
      recipients: [],
      suppressedRecipients: [...suppressedRecipients],
    });
  }

  /**
   * Settles sent messages, each by the attempt that holds its claim, in one `BatchWriteItem` for up
   * to 25: a put of the whole entry as its claim left it, now `sent`. A put cannot be conditional,
   * and needs not be: the claim's lease outlives the send function (`SEND_LEASE_MS` is its timeout
   * plus a minute), so while this attempt runs no other attempt can take the entry, and provider
   * feedback waits for a settled entry (`not_settled`), so none is written over. Items DynamoDB
   * leaves unprocessed are written again (with a short backoff); when some still are, it throws and
   * the messages are redelivered, which then find their claims (see {@link claim}).
   */
  async settleSent(settles: readonly SentSettle[]): Promise<void> {
    const updatedAt = new Date(this.now()).toISOString();
    const items = settles.map(({ claimed, providerMessageId, screening }) => {
      const { failureCode: _code, failureDetail: _detail, ...kept } = claimed;
      const sent: SendLedgerEntry = {
        ...kept,
        state: 'sent',
        status: 'accepted',
        providerMessageId,
        updatedAt,
        ...screenedFields(screening),
      };
      return { PutRequest: { Item: marshall(sent, { removeUndefinedValues: true }) } };
    });
    for (let start = 0; start < items.length; start += BATCH_WRITE_ITEMS) {
      let requests = items.slice(start, start + BATCH_WRITE_ITEMS);
      for (let round = 0; requests.length > 0; round++) {
        if (round === SETTLE_ROUNDS) {
          throw new UpstreamUnavailableError('DynamoDB', {
            cause: new Error(`${requests.length} sent settles left unprocessed`),
          });
        }
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
        const batch = requests;
        const result = await this.call(() =>
          this.writer.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: batch } })),
        );
        requests = (result.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) =>
          request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
        );
      }
    }
  }

  /** The send failed for good. */
  markFailed(
    tenantId: string,
    messageId: string,
    attemptId: string,
    failureCode: PermanentSendCode,
    failureDetail: string,
  ) {
    return this.settle(tenantId, messageId, attemptId, {
      state: 'failed',
      status: 'failed',
      failureCode,
      failureDetail,
    });
  }

  /** The provider certainly did not take it: a later attempt may claim it again. */
  release(tenantId: string, messageId: string, attemptId: string, failureCode: RetrySendCode, failureDetail: string) {
    return this.settle(tenantId, messageId, attemptId, { state: 'retryable', failureCode, failureDetail });
  }

  /**
   * Records a send that failed before any claim (invalid event, a broken sender rule), unless
   * it was already sent or failed: the first word stands.
   */
  async recordRejected(
    tenantId: string,
    messageId: string,
    failureCode: PermanentSendCode,
    failureDetail: string,
  ): Promise<boolean> {
    const now = this.now();
    return this.conditionalPut(
      {
        sendKey: sendKey(tenantId, messageId),
        tenantId,
        messageId,
        state: 'failed',
        status: 'failed',
        createdAt: new Date(now).toISOString(),
        attemptId: 'rejected-before-send',
        attempts: 0,
        leaseUntil: 0,
        updatedAt: new Date(now).toISOString(),
        failureCode,
        failureDetail,
        expiresAt: Math.floor(now / 1000) + SEND_LEDGER_RETENTION_SECONDS,
      },
      { expression: 'attribute_not_exists(sendKey) OR #state = :retryable', values: { ':retryable': 'retryable' } },
    );
  }

  /** Settles an abandoned claim as failed with an unknown outcome, if nobody did meanwhile. */
  settleAbandoned(entry: SendLedgerEntry, failureDetail: string): Promise<boolean> {
    return this.settle(entry.tenantId, entry.messageId, entry.attemptId, {
      state: 'failed',
      status: 'delivery_unknown',
      failureCode: 'delivery_unknown',
      failureDetail,
    });
  }

  private async settle(
    tenantId: string,
    messageId: string,
    attemptId: string,
    change: Partial<SendLedgerEntry> & { state: SendState },
  ): Promise<boolean> {
    const fields = { ...change, updatedAt: new Date(this.now()).toISOString() };
    const names: Record<string, string> = { '#state': 'state', '#attemptId': 'attemptId' };
    const values: Record<string, unknown> = { ':attemptId': attemptId, ':inFlight': 'in_flight' };
    const assignments = Object.entries(fields).map(([field, value]) => {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      return `#${field} = :${field}`;
    });
    try {
      await this.call(() =>
        this.writer.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall({ sendKey: sendKey(tenantId, messageId) }),
            // Only the attempt that holds the claim settles it.
            ConditionExpression: '#attemptId = :attemptId AND #state = :inFlight',
            UpdateExpression: `SET ${assignments.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async conditionalPut(
    entry: SendLedgerEntry,
    condition: { expression: string; values: Record<string, unknown> },
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    if (condition.expression.includes('#state')) names['#state'] = 'state';
    if (condition.expression.includes('#attemptId')) names['#attemptId'] = 'attemptId';
    try {
      await this.call(() =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: entry,
            ConditionExpression: condition.expression,
            ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
            ...(Object.keys(condition.values).length > 0 ? { ExpressionAttributeValues: condition.values } : {}),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}

/** What the send path uses of the ledger (a fake in unit tests). */
export type SendLedgerPort = Pick<
  SendLedger,
  | 'get'
  | 'claim'
  | 'markSent'
  | 'settleSent'
  | 'markSuppressed'
  | 'markFailed'
  | 'release'
  | 'recordRejected'
  | 'settleAbandoned'
>;

/**
 * What a sent settle writes of a screening: whom the message went to and whom the list held back,
 * only when it held someone back (else the claim's recipients stand, and the write stays small).
 */
export function screenedFields(
  screening: RecipientScreening | undefined,
): Pick<SendLedgerEntry, 'recipients' | 'suppressedRecipients'> {
  if (!screening || screening.suppressedRecipients.length === 0) return {};
  return {
    recipients: screening.recipients.map((email): RecipientState => ({ email })),
    suppressedRecipients: [...screening.suppressedRecipients],
  };
}

/** The ledger key: tenant first (escaped, so its own `#` cannot fake the separator): no collisions across tenants. */
export function sendKey(tenantId: string, messageId: string): string {
  return `${encodeURIComponent(tenantId)}#${messageId}`;
}

/** The status of an entry; items written before statuses existed derive it from their state. */
export function sendLedgerStatus(entry: Pick<SendLedgerEntry, 'state' | 'status' | 'failureCode'>): MessageStatus {
  if (entry.status !== undefined) return entry.status;
  if (entry.state === 'sent') return 'accepted';
  if (entry.state === 'failed') return entry.failureCode === 'delivery_unknown' ? 'delivery_unknown' : 'failed';
  return 'sending';
}
