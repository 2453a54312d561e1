import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import { type MessageRef, message } from '../message-catalog.js';
import { DomainProblem, UpstreamUnavailableError } from '../problem-catalog.js';
import { type IntegrationRecord, integrationRecordSchema } from './integration-record.js';
import { BLOCKED_STATUS, BLOCKED_STATUSES, EMAIL_CHANNEL, integrationTableKeys } from './integration-table.js';

/**
 * The integration store refused or could not read: a conditional write lost a race
 * (`conflict`), or the stored item is damaged (`integration_unreadable`).
 */
export class IntegrationStoreError extends DomainProblem {
  override readonly name = 'IntegrationStoreError';
  /**
   * For a damaged item: its stored revision when that field is still a number, so the
   * tenant can delete the item at the revision it has (undefined: unreadable too).
   */
  readonly damagedRevision: number | undefined;

  constructor(
    code: 'conflict' | 'integration_unreadable',
    detail: MessageRef,
    options: { cause?: unknown; extensions?: Record<string, unknown>; damagedRevision?: number } = {},
  ) {
    super(code, detail, options);
    this.damagedRevision = options.damagedRevision;
  }
}

/** Fields only the repository writes: identity, and the bookkeeping of optimistic locking. */
type RepositoryOwnedField = 'tenantId' | 'channel' | 'revision' | 'createdAt' | 'updatedAt';
const REPOSITORY_OWNED: ReadonlySet<string> = new Set<RepositoryOwnedField>([
  'tenantId',
  'channel',
  'revision',
  'createdAt',
  'updatedAt',
]);

/** What creating an integration takes: everything but the fields the repository sets. */
export type NewIntegration = Omit<IntegrationRecord, RepositoryOwnedField>;

/** What an update may change; a field given as `undefined` is removed from the item. */
export type IntegrationChange = { [K in keyof NewIntegration]?: NewIntegration[K] | undefined };

/** A value, or a function of the write's timestamp (ISO 8601) that returns it. */
export type AtWriteTime<T> = T | ((writtenAt: string) => T);

/** One page of {@link IntegrationStore.list}. */
export interface IntegrationPage {
  records: IntegrationRecord[];
  /** Tenants whose item is damaged (a field of the wrong type): reported, never thrown for. */
  unreadable: string[];
  nextPageToken?: string;
}

/**
 * Where integrations live. The store owns optimistic locking: every write is conditional on the
 * revision the caller read, and the store alone bumps `revision` and `updatedAt` (and sets
 * `createdAt`). Items are parsed when read; a damaged one is `integration_unreadable`.
 */
export interface IntegrationStore {
  /** The tenant's email integration, read strongly consistent, or undefined. */
  get(tenantId: string): Promise<IntegrationRecord | undefined>;
  /** Creates the tenant's integration at revision 1, if it has none; returns what was stored. */
  create(tenantId: string, fields: AtWriteTime<NewIntegration>): Promise<IntegrationRecord>;
  /** Applies `change` if the item is still at `expectedRevision`; returns what was stored. */
  update(
    tenantId: string,
    expectedRevision: number,
    change: AtWriteTime<IntegrationChange>,
  ): Promise<IntegrationRecord>;
  /**
   * Deletes the item if it is still at `expectedRevision` (undefined: a damaged item whose
   * revision cannot be read; it is deleted whatever it holds).
   */
  delete(tenantId: string, expectedRevision: number | undefined): Promise<void>;
  /** One page of every tenant's integration, for operators and the health check only. */
  list(options?: { limit?: number; pageToken?: string }): Promise<IntegrationPage>;
}

/** One page of tenant ids (keys only, nothing of the items), from {@link IntegrationDirectory.pageTenants}. */
export interface TenantPage {
  tenantIds: string[];
  nextPageToken?: string;
}

/**
 * Which tenants have an integration, by page, for the health check's planner: `all` reads only
 * the keys of every item, `blocked` only the sparse index of blocked tenants (never a scan).
 */
export interface IntegrationDirectory {
  pageTenants(options: { scope: 'all' | 'blocked'; limit: number; pageToken?: string }): Promise<TenantPage>;
}

/** Something that caches integrations in this process and must drop a tenant's when it changes. */
export interface IntegrationCache {
  forget(tenantId: string): void;
}

// Held weakly: a cache that is gone (a test's, say) is not kept alive by being listed here.
const processCaches = new Set<WeakRef<IntegrationCache>>();

/**
 * Has `cache` told of every integration write this process makes (create, update, delete), so
 * a warm function never serves a deleted or replaced key after its own process changed it.
 */
export function dropOnIntegrationWrite(cache: IntegrationCache): void {
  processCaches.add(new WeakRef(cache));
}

/** Tells every cache of this process that a tenant's integration was written. */
export function announceIntegrationWrite(tenantId: string): void {
  for (const reference of processCaches) {
    const cache = reference.deref();
    if (cache) cache.forget(tenantId);
    else processCaches.delete(reference);
  }
}

/** Options for {@link IntegrationRepository}. */
export interface IntegrationRepositoryOptions {
  tableName: string;
  /** A ready-made document client (tests); default one built from `clientConfig`. */
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
  /** The clock that stamps `createdAt` / `updatedAt` (tests inject one). */
  now?: () => Date;
}

/**
 * Reads and writes integration items in DynamoDB. Every call takes the tenant id, and every
 * key it builds starts with it: no operation can reach another tenant's item. Writes are
 * single-item and conditional on the revision read (no transactions needed).
 */
export class IntegrationRepository implements IntegrationStore, IntegrationDirectory {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(options: IntegrationRepositoryOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  async get(tenantId: string): Promise<IntegrationRecord | undefined> {
    const result = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: key(tenantId), ConsistentRead: true })),
    );
    return result.Item === undefined ? undefined : parseIntegrationItem(result.Item);
  }

  async create(tenantId: string, fields: AtWriteTime<NewIntegration>): Promise<IntegrationRecord> {
    const record = newIntegrationRecord(tenantId, fields, this.now().toISOString());
    const writeToken = randomUUID();
    await this.write(
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...record, ...blockedMarker(record.status), [WRITE_TOKEN]: writeToken },
            ConditionExpression: 'attribute_not_exists(tenantId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      (stored) => writtenBy(stored, writeToken),
    );
    announceIntegrationWrite(tenantId);
    return record;
  }

  async update(
    tenantId: string,
    expectedRevision: number,
    change: AtWriteTime<IntegrationChange>,
  ): Promise<IntegrationRecord> {
    const writtenAt = this.now().toISOString();
    const fields = checkedChange(typeof change === 'function' ? change(writtenAt) : change);
    const writeToken = randomUUID();
    const names: Record<string, string> = {
      '#revision': 'revision',
      '#updatedAt': 'updatedAt',
      '#writeToken': WRITE_TOKEN,
    };
    const values: Record<string, unknown> = {
      ':expected': expectedRevision,
      ':next': expectedRevision + 1,
      ':updatedAt': writtenAt,
      ':writeToken': writeToken,
    };
    const sets = ['#revision = :next', '#updatedAt = :updatedAt', '#writeToken = :writeToken'];
    const removes: string[] = [];
    Object.entries(fields).forEach(([field, value], index) => {
      names[`#f${index}`] = field;
      if (value === undefined) {
        removes.push(`#f${index}`);
      } else {
        values[`:f${index}`] = value;
        sets.push(`#f${index} = :f${index}`);
      }
    });
    // The sparse blocked index follows the status in the same write.
    if (fields.status !== undefined) {
      names['#blocked'] = BLOCKED_ATTRIBUTE;
      if (BLOCKED_STATUSES.has(fields.status)) {
        values[':blocked'] = fields.status;
        sets.push('#blocked = :blocked');
      } else {
        removes.push('#blocked');
      }
    }
    const result = await this.write(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key(tenantId),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: '#revision = :expected',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      (stored) => writtenBy(stored, writeToken),
    );
    announceIntegrationWrite(tenantId);
    // Our own write, landed on an attempt whose answer was lost: what it stored is the result.
    return parseIntegrationItem(('landed' in result ? result.stored : result.Attributes) ?? {});
  }

  async delete(tenantId: string, expectedRevision: number | undefined): Promise<void> {
    await this.write(
      () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: key(tenantId),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ...(expectedRevision === undefined
              ? { ConditionExpression: 'attribute_exists(tenantId)' }
              : {
                  ConditionExpression: '#revision = :expected',
                  ExpressionAttributeNames: { '#revision': 'revision' },
                  ExpressionAttributeValues: { ':expected': expectedRevision },
                }),
          }),
        ),
      // No item left: gone is what a delete asks for (a retried delete whose first attempt landed).
      (stored) => stored === undefined,
    );
    announceIntegrationWrite(tenantId);
  }

  /**
   * One page of every tenant's integration, for operators and the daily health check only
   * (never reachable from a tenant's request). Pass the returned token to read the next page.
   */
  async list(options: { limit?: number; pageToken?: string } = {}): Promise<IntegrationPage> {
    const result = await this.call(() =>
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Limit: options.limit ?? 100,
          ...(options.pageToken
            ? { ExclusiveStartKey: JSON.parse(Buffer.from(options.pageToken, 'base64url').toString('utf8')) }
            : {}),
        }),
      ),
    );
    return {
      ...parseIntegrationItems(result.Items ?? []),
      ...(result.LastEvaluatedKey
        ? { nextPageToken: Buffer.from(JSON.stringify(result.LastEvaluatedKey)).toString('base64url') }
        : {}),
    };
  }

  /**
   * One page of tenant ids: `all` scans keys only (`tenantId`; the role may read no other
   * attribute), `blocked` queries the sparse blocked index. Pass the returned token for the next page.
   */
  async pageTenants(options: { scope: 'all' | 'blocked'; limit: number; pageToken?: string }): Promise<TenantPage> {
    const start = options.pageToken
      ? { ExclusiveStartKey: JSON.parse(Buffer.from(options.pageToken, 'base64url').toString('utf8')) }
      : {};
    const blocked = integrationTableKeys.blockedIndex;
    const result = await this.call(() =>
      options.scope === 'blocked'
        ? this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: blocked.indexName,
              KeyConditionExpression: '#blocked = :blocked',
              ExpressionAttributeNames: { '#blocked': BLOCKED_ATTRIBUTE },
              ExpressionAttributeValues: { ':blocked': BLOCKED_STATUS },
              Limit: options.limit,
              ...start,
            }),
          )
        : this.client.send(
            new ScanCommand({
              TableName: this.tableName,
              // Named explicitly: the planner's role may scan only with a projection of the keys.
              Select: 'SPECIFIC_ATTRIBUTES',
              ProjectionExpression: '#tenantId',
              ExpressionAttributeNames: { '#tenantId': integrationTableKeys.partitionKey.name },
              Limit: options.limit,
              ...start,
            }),
          ),
    );
    return {
      tenantIds: (result.Items ?? []).map((item) => item.tenantId).filter((id): id is string => typeof id === 'string'),
      ...(result.LastEvaluatedKey
        ? { nextPageToken: Buffer.from(JSON.stringify(result.LastEvaluatedKey)).toString('base64url') }
        : {}),
    };
  }

  /** Runs one read, mapping DynamoDB's failures to the store's. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }

  /**
   * Runs one conditional write. A refused condition is a conflict unless `landed` recognises,
   * in the item as it is now (DynamoDB returns it with the refusal: no extra read), that this
   * write already happened: the SDK retries a write whose answer was lost, and the retry then
   * finds the first attempt's result instead of the revision it expected.
   */
  private async write<T>(
    operation: () => Promise<T>,
    landed: (stored: Record<string, unknown> | undefined) => boolean,
  ): Promise<T | { landed: true; stored: Record<string, unknown> | undefined }> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const stored = error.Item === undefined ? undefined : fromAttributeValues(error.Item);
        if (landed(stored)) return { landed: true, stored };
        throw conflict(error);
      }
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}

/**
 * Attribute holding the id of the write that last stored the item: a fresh random id per
 * write (not per attempt), so a retried attempt can tell its own earlier landing from
 * someone else's change. Never part of a record.
 */
const WRITE_TOKEN = 'writeToken';

/** The sparse blocked index's key attribute (`integrationTableKeys.blockedIndex`): present only while blocked. */
const BLOCKED_ATTRIBUTE = integrationTableKeys.blockedIndex.partitionKey.name;

function blockedMarker(status: string): Record<string, string> {
  return BLOCKED_STATUSES.has(status) ? { [BLOCKED_ATTRIBUTE]: status } : {};
}

function writtenBy(stored: Record<string, unknown> | undefined, writeToken: string): boolean {
  return stored?.[WRITE_TOKEN] === writeToken;
}

/** A returned item in DynamoDB's wire form, as plain values (the document client does not convert errors). */
function fromAttributeValues(item: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, fromAttributeValue(value)]));
}

function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromAttributeValues(value.M);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  // Binary attributes are never written to this table; keep them opaque.
  return value;
}

/** A conditional write found the item changed (or gone) since it was read. */
export function conflict(cause?: unknown): IntegrationStoreError {
  return new IntegrationStoreError('conflict', message('conflict'), { cause });
}

/** Parses a stored item; a damaged one (a field missing or of the wrong type) is `integration_unreadable`. */
export function parseIntegrationItem(item: Record<string, unknown>): IntegrationRecord {
  const parsed = integrationRecordSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(item)'))];
  throw new IntegrationStoreError('integration_unreadable', message('integration_damaged'), {
    extensions: { fields },
    ...(typeof item.revision === 'number' ? { damagedRevision: item.revision } : {}),
  });
}

/** Parses a page of items, setting the damaged ones aside by tenant. */
export function parseIntegrationItems(items: ReadonlyArray<Record<string, unknown>>): {
  records: IntegrationRecord[];
  unreadable: string[];
} {
  const records: IntegrationRecord[] = [];
  const unreadable: string[] = [];
  for (const item of items) {
    try {
      records.push(parseIntegrationItem(item));
    } catch (error) {
      if (!(error instanceof IntegrationStoreError)) throw error;
      unreadable.push(typeof item.tenantId === 'string' ? item.tenantId : '(no tenant id)');
    }
  }
  return { records, unreadable };
}

/** The record a creation stores: revision 1, created and updated now. */
export function newIntegrationRecord(
  tenantId: string,
  fields: AtWriteTime<NewIntegration>,
  writtenAt: string,
): IntegrationRecord {
  const given = checkedChange(typeof fields === 'function' ? fields(writtenAt) : fields) as NewIntegration;
  return { ...given, tenantId, channel: EMAIL_CHANNEL, revision: 1, createdAt: writtenAt, updatedAt: writtenAt };
}

/** The record an update at `current.revision` stores: the change applied, the revision bumped. */
export function changedIntegrationRecord(
  current: IntegrationRecord,
  change: AtWriteTime<IntegrationChange>,
  writtenAt: string,
): IntegrationRecord {
  const fields = checkedChange(typeof change === 'function' ? change(writtenAt) : change);
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) delete next[field];
    else next[field] = value;
  }
  return { ...(next as unknown as IntegrationRecord), revision: current.revision + 1, updatedAt: writtenAt };
}

/** Refuses a change that names a field only the repository writes (a spread record, say). */
function checkedChange<T extends object>(change: T): T {
  const owned = Object.keys(change).filter((field) => REPOSITORY_OWNED.has(field));
  if (owned.length > 0) throw new Error(`Only the integration repository writes ${owned.join(', ')}`);
  return change;
}

function key(tenantId: string) {
  return { tenantId, channel: EMAIL_CHANNEL };
}
