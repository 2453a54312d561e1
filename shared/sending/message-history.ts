import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import { DomainProblem, UpstreamUnavailableError } from '../problem-catalog.js';
import type { BounceType } from './message-status.js';
import type { MessageStatus, MessageTimelineEntry, SendLedgerEntry } from './send-ledger.js';
import { sendKey, sendLedgerStatus } from './send-ledger.js';
import { sendLedgerTableKeys } from './send-ledger-table.js';

/** The message statuses a tenant can filter by. */
export { MESSAGE_STATUSES } from './message-status.js';

/** One message as `GET /messages` shows it. */
export interface MessageView {
  messageId: string;
  status: MessageStatus;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  providerMessageId: string | null;
  failureCode: string | null;
  failureDetail: string | null;
  timeline: MessageTimelineEntry[];
  /** Recipients not mailed because the tenant suppressed them. */
  suppressedRecipients: string[];
  /** The bounce's kind when `status` is `bounced`. */
  bounceType: BounceType | null;
  /** Every recipient and where it stands (the tenant's own data: shown to this tenant only). */
  recipients: RecipientView[];
}

/** One recipient of a message as the tenant sees it. */
export interface RecipientView {
  email: string;
  status: MessageStatus;
  bounceType: BounceType | null;
  reason: string | null;
  /** When the provider's event that set `status` happened; null before any. */
  at: string | null;
}

/** One page of a tenant's messages, newest first. */
export interface MessagePage {
  messages: MessageView[];
  nextCursor: string | null;
}

/** The errors of reading the message history. */
export class MessageHistoryError extends DomainProblem {
  override readonly name = 'MessageHistoryError';
}

/** Query of `GET /messages`. */
export interface MessageQuery {
  status?: MessageStatus;
  since?: string;
  limit?: number;
  cursor?: string;
}

export const DEFAULT_MESSAGE_PAGE = 25;
export const MAX_MESSAGE_PAGE = 100;
/** Index items one filtered read looks at (Query's Limit counts them before the filter). */
export const FILTERED_READ_ITEMS = 250;
/** Reads of the index one filtered request makes at most: bounds its cost at 1,000 messages looked at. */
export const MAX_FILTERED_READS = 4;

/**
 * Reads a tenant's messages from the send ledger: by key, or through the (tenant, time) index
 * newest first. Everything is scoped by the tenant id the caller proved; another tenant's id
 * and an absent one look alike (404).
 */
export class MessageHistory {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { tableName: string; client?: DynamoDBDocumentClient; clientConfig?: DynamoDBClientConfig }) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  /** One message of the tenant, or 404 `not_found`. */
  async get(tenantId: string, messageId: string): Promise<MessageView> {
    const result = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { sendKey: sendKey(tenantId, messageId) } })),
    );
    const entry = result.Item as SendLedgerEntry | undefined;
    // The key already holds the tenant; the second check guards against a mis-built key.
    if (!entry || entry.tenantId !== tenantId) {
      throw new MessageHistoryError('not_found', 'There is no message with that id. Check the messageId you sent.');
    }
    return messageView(entry);
  }

  /**
   * A page of the tenant's messages, newest first, through the index (never a scan). With a
   * status filter the index is read on past non-matching messages until the page holds `limit`
   * matches, at most {@link MAX_FILTERED_READS} reads of {@link FILTERED_READ_ITEMS} index items
   * per request; the cursor then says where it stopped (after the last message returned, or after
   * the last one looked at), so pages continue without gaps or repeats.
   */
  async list(tenantId: string, query: MessageQuery): Promise<MessagePage> {
    const index = sendLedgerTableKeys.tenantTimeIndex;
    const limit = query.limit ?? DEFAULT_MESSAGE_PAGE;
    const names: Record<string, string> = { '#tenant': index.partitionKey.name };
    const values: Record<string, unknown> = { ':tenant': tenantId };
    let condition = '#tenant = :tenant';
    if (query.since !== undefined) {
      names['#time'] = index.sortKey.name;
      values[':since'] = query.since;
      condition += ' AND #time >= :since';
    }
    if (query.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    let startKey = query.cursor === undefined ? undefined : decodeCursor(query.cursor, tenantId);
    const matches: SendLedgerEntry[] = [];
    const maxReads = query.status === undefined ? 1 : MAX_FILTERED_READS;
    for (let read = 0; read < maxReads; read += 1) {
      const result = await this.call(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.indexName,
            KeyConditionExpression: condition,
            ...(query.status === undefined ? {} : { FilterExpression: '#status = :status' }),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            // Limit bounds the items looked at, before the filter: a filtered read looks further.
            Limit: query.status === undefined ? limit : Math.max(limit, FILTERED_READ_ITEMS),
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      const items = ((result.Items ?? []) as SendLedgerEntry[]).filter((item) => item.tenantId === tenantId);
      if (matches.length + items.length >= limit) {
        const taken = items.slice(0, limit - matches.length);
        matches.push(...taken);
        const more = taken.length < items.length || result.LastEvaluatedKey !== undefined;
        const last = taken.at(-1);
        // Stopped inside this read: continue right after the last message returned.
        const next = taken.length < items.length && last ? indexKeyOf(last) : result.LastEvaluatedKey;
        return { messages: matches.map(messageView), nextCursor: more && next ? encodeCursor(next) : null };
      }
      matches.push(...items);
      startKey = result.LastEvaluatedKey;
      if (startKey === undefined) break;
    }
    return { messages: matches.map(messageView), nextCursor: startKey ? encodeCursor(startKey) : null };
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}

/** The tenant's view of a ledger item (no lease, attempt id or key). */
export function messageView(entry: SendLedgerEntry): MessageView {
  return {
    messageId: entry.messageId,
    status: sendLedgerStatus(entry),
    createdAt: entry.createdAt ?? entry.updatedAt,
    updatedAt: entry.updatedAt,
    attempts: Number(entry.attempts ?? 0),
    providerMessageId: entry.providerMessageId ?? null,
    failureCode: entry.failureCode ?? null,
    failureDetail: entry.failureDetail ?? null,
    timeline: entry.timeline ?? [],
    suppressedRecipients: entry.suppressedRecipients ?? [],
    bounceType: entry.bounceType ?? null,
    recipients: (entry.recipients ?? []).map((recipient) => ({
      email: recipient.email,
      // Before the provider reports on a recipient, it stands where the send left the message.
      status: recipient.status ?? sendOutcomeStatus(entry),
      bounceType: recipient.bounceType ?? null,
      reason: recipient.reason ?? null,
      at: recipient.at ?? null,
    })),
  };
}

/** Where the send path left a message, before any provider feedback: what a silent recipient shows. */
export function sendOutcomeStatus(entry: Pick<SendLedgerEntry, 'state' | 'failureCode'>): MessageStatus {
  return sendLedgerStatus({ state: entry.state, ...(entry.failureCode ? { failureCode: entry.failureCode } : {}) });
}

/** An item's position in the tenant/time index: what a cursor holds (the table key and the index's keys). */
function indexKeyOf(entry: SendLedgerEntry): Record<string, unknown> {
  const index = sendLedgerTableKeys.tenantTimeIndex;
  return {
    [sendLedgerTableKeys.partitionKey.name]: entry.sendKey,
    [index.partitionKey.name]: entry.tenantId,
    [index.sortKey.name]: entry.createdAt,
  };
}

/** An opaque cursor: the index position, base64url JSON. */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Reads a cursor back; one that is malformed or names another tenant is refused (400). */
function decodeCursor(cursor: string, tenantId: string): Record<string, unknown> {
  const refuse = () =>
    new MessageHistoryError(
      'invalid_request',
      'The cursor is not valid. Use nextCursor from the previous page as is.',
      {
        extensions: { field: 'cursor' },
      },
    );
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw refuse();
  const record = key as Record<string, unknown>;
  const allowed = new Set(['sendKey', 'tenantId', 'createdAt']);
  if (
    record.tenantId !== tenantId ||
    typeof record.sendKey !== 'string' ||
    typeof record.createdAt !== 'string' ||
    Object.keys(record).some((name) => !allowed.has(name))
  ) {
    throw refuse();
  }
  return record;
}

/** Turns `GET /messages` query parameters into a query, or 400 naming the parameter. */
export function parseMessageQuery(
  schema: {
    safeParse(
      input: unknown,
    ):
      | { success: true; data: MessageQuery }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  query: Record<string, string>,
): MessageQuery {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'query';
  throw new MessageHistoryError(
    'invalid_request',
    `The query parameter ${field} ${issue?.message ?? 'is not valid'}.`,
    {
      extensions: { field },
    },
  );
}
