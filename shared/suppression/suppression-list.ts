import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import { message } from '../message-catalog.js';
import { DomainProblem, UpstreamUnavailableError } from '../problem-catalog.js';
import { isPlainAddress, normaliseAddress, type SuppressionReason } from './suppression-address.js';
import { suppressionTableKeys } from './suppression-table.js';

/** One address on a tenant's list, as `GET /suppressions` shows it. */
export interface Suppression {
  /** Normalised (lower case). */
  email: string;
  reason: SuppressionReason;
  createdAt: string;
  /** The message whose bounce or complaint put it there; null when added by hand. */
  messageId: string | null;
}

/** One page of a tenant's list, in address order. */
export interface SuppressionPage {
  suppressions: Suppression[];
  nextCursor: string | null;
}

/** The errors of the suppression list: a malformed address, an absent entry, a bad cursor. */
export class SuppressionError extends DomainProblem {
  override readonly name = 'SuppressionError';
}

/** One message's question to the suppression lists: its tenant and its recipients. */
export interface SuppressionQuery {
  tenantId: string;
  emails: readonly string[];
}

/** What the send path reads: which of a message's recipients the tenant suppressed. */
export interface SuppressionScreen {
  /** The normalised addresses among `emails` on the tenant's list. */
  suppressedAmong(tenantId: string, emails: readonly string[]): Promise<Set<string>>;
  /** The answers for a whole batch of messages (many tenants) in as few reads as DynamoDB allows. */
  snapshot(queries: readonly SuppressionQuery[]): Promise<SuppressionSnapshot>;
}

/**
 * What the tenants' lists said, at one moment, about the (tenant, address) pairs a batch of
 * messages asked for: answers only what was asked, so a message it does not cover reads for itself.
 */
export class SuppressionSnapshot {
  private readonly asked = new Map<string, Set<string>>();
  private readonly listed = new Map<string, Set<string>>();

  constructor(asked: readonly SuppressionKey[], listed: readonly SuppressionKey[]) {
    for (const key of asked) addTo(this.asked, key);
    for (const key of listed) addTo(this.listed, key);
  }

  /** The listed addresses among `emails` (normalised); undefined when one of them was not asked for. */
  among(tenantId: string, emails: readonly string[]): Set<string> | undefined {
    const asked = this.asked.get(tenantId);
    const listed = this.listed.get(tenantId);
    const found = new Set<string>();
    for (const email of emails) {
      const address = normaliseAddress(email);
      if (!asked?.has(address)) return undefined;
      if (listed?.has(address)) found.add(address);
    }
    return found;
  }
}

/** One entry's key: the tenant and a normalised address. */
export interface SuppressionKey {
  tenantId: string;
  email: string;
}

function addTo(map: Map<string, Set<string>>, key: SuppressionKey): void {
  let set = map.get(key.tenantId);
  if (!set) {
    set = new Set();
    map.set(key.tenantId, set);
  }
  set.add(key.email);
}

/**
 * What the feedback applier calls for a hard bounce or a complaint: puts the address on THAT
 * tenant's list (the tenant the message was sent for). True when it was not there yet; an
 * address already listed keeps its first reason.
 */
export type SuppressAddress = (
  tenantId: string,
  email: string,
  reason: Exclude<SuppressionReason, 'manual'>,
  messageId: string,
) => Promise<boolean>;

export const DEFAULT_SUPPRESSION_PAGE = 50;
export const MAX_SUPPRESSION_PAGE = 100;
/** DynamoDB's limit of keys per BatchGetItem. */
const BATCH_GET_KEYS = 100;
/** Rounds of re-asking for keys DynamoDB left unprocessed (throttling) before the read counts as failed. */
const UNPROCESSED_ROUNDS = 4;

/** The stored item. */
interface SuppressionItem extends Suppression {
  tenantId: string;
}

/**
 * A tenant's suppression list in DynamoDB: one item per (tenant, normalised address), every
 * write a single-item conditional write (no transactions, so dynalite runs it too). Every call
 * takes the tenant id the caller proved; one tenant's entries never answer for another's.
 */
export class SuppressionList implements SuppressionScreen {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(options: {
    tableName: string;
    client?: DynamoDBDocumentClient;
    clientConfig?: DynamoDBClientConfig;
    now?: () => Date;
  }) {
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  /**
   * Adds an address; when it is already listed nothing changes and the entry as it was is
   * answered (`created: false`). One conditional put; DynamoDB returns the existing item with the
   * refusal, so a repeat costs no second read (a store that does not, dynalite, is read once).
   */
  async add(
    tenantId: string,
    email: string,
    reason: SuppressionReason,
    messageId: string | null,
  ): Promise<{ created: boolean; suppression: Suppression }> {
    const address = requireAddress(email);
    const item: SuppressionItem = { tenantId, email: address, reason, createdAt: this.now().toISOString(), messageId };
    try {
      await this.call(() =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#email)',
            ExpressionAttributeNames: { '#email': suppressionTableKeys.sortKey.name },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { created: true, suppression: view(item) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (error.Item) return { created: false, suppression: view(fromAttributeValues(error.Item)) };
    }
    const existing = await this.get(tenantId, address);
    // Removed again between the refusal and the read: the add stands as made now.
    return existing ? { created: false, suppression: existing } : this.add(tenantId, address, reason, messageId);
  }

  /** What the feedback applier calls (see {@link SuppressAddress}): one conditional put, no read. */
  readonly suppress: SuppressAddress = async (tenantId, email, reason, messageId) => {
    const address = normaliseAddress(email);
    // A provider's event with an address we could never have sent to is not worth an entry.
    if (!isPlainAddress(address)) return false;
    try {
      await this.call(() =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { tenantId, email: address, reason, createdAt: this.now().toISOString(), messageId },
            ConditionExpression: 'attribute_not_exists(#email)',
            ExpressionAttributeNames: { '#email': suppressionTableKeys.sortKey.name },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  /** Removes an address; 404 `suppression_not_found` when the tenant has no such entry. */
  async remove(tenantId: string, email: string): Promise<void> {
    const address = requireAddress(email);
    try {
      await this.call(() =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { tenantId, email: address },
            ConditionExpression: 'attribute_exists(#email)',
            ExpressionAttributeNames: { '#email': suppressionTableKeys.sortKey.name },
          }),
        ),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new SuppressionError('suppression_not_found', message('suppression_not_found'));
      }
      throw error;
    }
  }

  /** One entry of the tenant's list, read strongly consistent. */
  async get(tenantId: string, email: string): Promise<Suppression | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { tenantId, email: normaliseAddress(email) },
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item ? view(result.Item as SuppressionItem) : undefined;
  }

  /** A page of the tenant's list in address order: a query on its own partition, never a scan. */
  async list(tenantId: string, query: { cursor?: string; limit?: number } = {}): Promise<SuppressionPage> {
    const startKey = query.cursor === undefined ? undefined : decodeCursor(query.cursor, tenantId);
    const result = await this.call(() =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#tenant = :tenant',
          ExpressionAttributeNames: { '#tenant': suppressionTableKeys.partitionKey.name },
          ExpressionAttributeValues: { ':tenant': tenantId },
          Limit: query.limit ?? DEFAULT_SUPPRESSION_PAGE,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      ),
    );
    const items = (result.Items ?? []) as SuppressionItem[];
    return {
      suppressions: items.filter((item) => item.tenantId === tenantId).map(view),
      nextCursor: result.LastEvaluatedKey ? encodeCursor(result.LastEvaluatedKey) : null,
    };
  }

  /**
   * Which of `emails` the tenant suppressed: one BatchGetItem per 100 distinct addresses
   * (DynamoDB's limit), in parallel. Keys DynamoDB leaves unprocessed are asked for again a few
   * times; still unanswered, the read fails as `upstream_unavailable` and the send is retried
   * later, never sent unscreened.
   */
  async suppressedAmong(tenantId: string, emails: readonly string[]): Promise<Set<string>> {
    const found = await this.listedAmong(emails.map((email) => ({ tenantId, email: normaliseAddress(email) })));
    return new Set(found.filter((key) => key.tenantId === tenantId).map((key) => key.email));
  }

  /**
   * The answers for a batch of messages of any tenants: the send consumer asks once per SQS
   * batch (10 messages: usually one BatchGetItem) instead of once per message.
   */
  async snapshot(queries: readonly SuppressionQuery[]): Promise<SuppressionSnapshot> {
    const asked = queries.flatMap((query) =>
      query.emails.map((email) => ({ tenantId: query.tenantId, email: normaliseAddress(email) })),
    );
    return new SuppressionSnapshot(asked, await this.listedAmong(asked));
  }

  /** The listed keys among `keys` (distinct, in chunks of 100, in parallel). */
  private async listedAmong(keys: readonly SuppressionKey[]): Promise<SuppressionKey[]> {
    const distinct = new Map(keys.map((key) => [JSON.stringify([key.tenantId, key.email]), key]));
    const all = [...distinct.values()];
    const chunks: SuppressionKey[][] = [];
    for (let start = 0; start < all.length; start += BATCH_GET_KEYS) {
      chunks.push(all.slice(start, start + BATCH_GET_KEYS));
    }
    const found = await Promise.all(chunks.map((chunk) => this.batchGet(chunk)));
    return found.flat();
  }

  private async batchGet(asked: SuppressionKey[]): Promise<SuppressionKey[]> {
    const found: SuppressionKey[] = [];
    const wanted = new Set(asked.map((key) => JSON.stringify([key.tenantId, key.email])));
    let keys: Record<string, unknown>[] = asked.map(({ tenantId, email }) => ({ tenantId, email }));
    for (let round = 0; keys.length > 0; round++) {
      if (round === UNPROCESSED_ROUNDS) {
        throw new UpstreamUnavailableError('DynamoDB', {
          cause: new Error(`${keys.length} suppression keys left unprocessed`),
        });
      }
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
      const request = keys;
      const result = await this.call(() =>
        this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: request,
                ProjectionExpression: '#tenant, #email',
                ExpressionAttributeNames: {
                  '#tenant': suppressionTableKeys.partitionKey.name,
                  '#email': suppressionTableKeys.sortKey.name,
                },
              },
            },
          }),
        ),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const { tenantId, email } = item;
        // Only what was asked counts: an answer for any other key is not trusted.
        if (typeof tenantId !== 'string' || typeof email !== 'string') continue;
        if (wanted.has(JSON.stringify([tenantId, email]))) found.push({ tenantId, email });
      }
      keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
    return found;
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

/** The normalised address, or 422 `invalid_email` naming what a valid one looks like. */
export function requireAddress(email: string): string {
  const address = normaliseAddress(email);
  if (!isPlainAddress(address)) {
    throw new SuppressionError('invalid_email', message('invalid_email'), { extensions: { field: 'email' } });
  }
  return address;
}

function view(item: SuppressionItem): Suppression {
  return { email: item.email, reason: item.reason, createdAt: item.createdAt, messageId: item.messageId ?? null };
}

/** An item in DynamoDB's wire format (strings and nulls: all it holds); the document client converts only answers. */
function fromAttributeValues(item: Record<string, AttributeValue>): SuppressionItem {
  const plain: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(item)) plain[name] = value.S ?? null;
  return plain as unknown as SuppressionItem;
}

/** An opaque cursor: the last key of the page, base64url JSON. */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Reads a cursor back; one that is malformed or names another tenant is refused (400). */
function decodeCursor(cursor: string, tenantId: string): Record<string, unknown> {
  const refuse = () =>
    new SuppressionError('invalid_request', 'The cursor is not valid. Use nextCursor from the previous page as is.', {
      extensions: { field: 'cursor' },
    });
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw refuse();
  const record = key as Record<string, unknown>;
  if (
    record.tenantId !== tenantId ||
    typeof record.email !== 'string' ||
    Object.keys(record).some((name) => name !== 'tenantId' && name !== 'email')
  ) {
    throw refuse();
  }
  return record;
}

/** Turns `GET /suppressions` query parameters into a query, or 400 naming the parameter. */
export function parseSuppressionQuery(
  schema: {
    safeParse(
      input: unknown,
    ):
      | { success: true; data: { cursor?: string; limit?: number } }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  query: Record<string, string>,
): { cursor?: string; limit?: number } {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'query';
  throw new SuppressionError('invalid_request', `The query parameter ${field} ${issue?.message ?? 'is not valid'}.`, {
    extensions: { field },
  });
}
