import { ConditionalCheckFailedException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { documentClient } from '../dynamo-document-client.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';

/** What our own DNS look-up found for one record. */
export type RecordStatus = 'found' | 'missing' | 'wrong_value' | 'not_checked';

/** One DNS record the tenant publishes. */
export interface DomainRecord {
  purpose: 'dkim' | 'mail_from_mx' | 'mail_from_spf' | 'dmarc';
  type: 'CNAME' | 'MX' | 'TXT';
  name: string;
  value: string;
  status: RecordStatus;
}

/** SES's verdict on the domain identity. */
export type DomainStatus = 'pending' | 'verified' | 'failed' | 'temporary_failure';

/** A tenant's sending domain as the API shows it. */
export interface SesDomain {
  domain: string;
  region: string;
  status: DomainStatus;
  records: DomainRecord[];
  createdAt: string;
  verifiedAt?: string;
  lastCheckedAt?: string;
  /** When the status last changed (set by every check that changed it). */
  statusChangedAt?: string;
  /** When the scheduled checker looks at it next; absent once it is no longer watched. */
  nextCheckAt?: string;
}

/** The stored item: the domain, and whose it is. */
export interface SesDomainItem extends SesDomain {
  tenantId: string;
}

const recordSchema = z.object({
  purpose: z.enum(['dkim', 'mail_from_mx', 'mail_from_spf', 'dmarc']),
  type: z.enum(['CNAME', 'MX', 'TXT']),
  name: z.string(),
  value: z.string(),
  status: z.enum(['found', 'missing', 'wrong_value', 'not_checked']),
});
const itemSchema = z.object({
  tenantId: z.string(),
  domain: z.string(),
  region: z.string(),
  status: z.enum(['pending', 'verified', 'failed', 'temporary_failure']),
  records: z.array(recordSchema),
  createdAt: z.string(),
  verifiedAt: z.string().optional(),
  lastCheckedAt: z.string().optional(),
  statusChangedAt: z.string().optional(),
  nextCheckAt: z.string().optional(),
});

/** Where tenants' SES domains and the domain claims live. */
export interface DomainStore {
  get(tenantId: string, domain: string): Promise<SesDomainItem | undefined>;
  list(tenantId: string): Promise<SesDomainItem[]>;
  put(item: SesDomainItem): Promise<void>;
  /** Writes a check's result over the item, only while it still exists: `false` when it was removed meanwhile. */
  replace(item: SesDomainItem): Promise<boolean>;
  /** Watched domains due by `before` (every watched one without it), soonest first, at most `limit`. */
  due(before: string | undefined, limit: number): Promise<SesDomainItem[]>;
  delete(tenantId: string, domain: string): Promise<void>;
  /** Claims the domain for the tenant: `false` when another tenant holds it (never says who). */
  claim(domain: string, tenantId: string): Promise<boolean>;
  /** Releases the tenant's claim (a claim of another tenant stays). */
  release(domain: string, tenantId: string): Promise<void>;
}

/** The domain table's key schema, shared by the stack and the local runtime. */
export const domainTableKeys = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  /**
   * Watched domains by their next check (the scheduled checker's query, never a scan): sparse,
   * only items with `nextCheckAt` carry the constant `watch` partition value.
   */
  checkIndex: {
    indexName: 'byNextCheck',
    partitionKey: { name: 'watch', type: 'S' },
    sortKey: { name: 'nextCheckAt', type: 'S' },
  },
} as const;

/** The `watch` value of every watched domain item (one partition: at most 10 domains per tenant). */
const WATCHED = 'ses-domain';

/** `CreateTable` input for the domain table (local runtime, tests). */
export function domainTableCreateInput(tableName: string) {
  const index = domainTableKeys.checkIndex;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'S' as const },
      { AttributeName: index.partitionKey.name, AttributeType: index.partitionKey.type },
      { AttributeName: index.sortKey.name, AttributeType: index.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}

const tenantKey = (tenantId: string, domain: string) => ({ pk: `tenant#${tenantId}`, sk: `domain#${domain}` });
/** One claim item per domain, across tenants and regions: a conditional write makes it exclusive. */
const claimKey = (domain: string) => ({ pk: `claim#${domain}`, sk: 'claim' });

/** The item as stored: its key, and the index's `watch` value while it is watched. */
function stored(item: SesDomainItem): Record<string, unknown> {
  return { ...tenantKey(item.tenantId, item.domain), ...item, ...(item.nextCheckAt ? { watch: WATCHED } : {}) };
}

/** {@link DomainStore} on DynamoDB: tenant items `tenant#<id>/domain#<name>`, claims `claim#<name>/claim`. */
export class DynamoDomainStore implements DomainStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(private readonly options: { tableName: string; clientConfig?: DynamoDBClientConfig }) {
    this.client = documentClient(options.clientConfig);
  }

  async get(tenantId: string, domain: string): Promise<SesDomainItem | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetCommand({ TableName: this.options.tableName, Key: tenantKey(tenantId, domain), ConsistentRead: true }),
      ),
    );
    return result.Item ? itemSchema.parse(result.Item) : undefined;
  }

  async list(tenantId: string): Promise<SesDomainItem[]> {
    const items: SesDomainItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.options.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :domain)',
            ExpressionAttributeValues: { ':pk': `tenant#${tenantId}`, ':domain': 'domain#' },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) items.push(itemSchema.parse(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.domain.localeCompare(b.domain));
  }

  async put(item: SesDomainItem): Promise<void> {
    await this.call(() => this.client.send(new PutCommand({ TableName: this.options.tableName, Item: stored(item) })));
  }

  async replace(item: SesDomainItem): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: stored(item),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }

  async due(before: string | undefined, limit: number): Promise<SesDomainItem[]> {
    const index = domainTableKeys.checkIndex;
    const items: SesDomainItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.options.tableName,
            IndexName: index.indexName,
            KeyConditionExpression: before === undefined ? '#watch = :watch' : '#watch = :watch AND #next <= :before',
            ExpressionAttributeNames: {
              '#watch': index.partitionKey.name,
              ...(before === undefined ? {} : { '#next': index.sortKey.name }),
            },
            ExpressionAttributeValues: { ':watch': WATCHED, ...(before === undefined ? {} : { ':before': before }) },
            Limit: limit - items.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) items.push(itemSchema.parse(item));
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }

  async delete(tenantId: string, domain: string): Promise<void> {
    await this.call(() =>
      this.client.send(new DeleteCommand({ TableName: this.options.tableName, Key: tenantKey(tenantId, domain) })),
    );
  }

  async claim(domain: string, tenantId: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...claimKey(domain), tenantId, domain },
          ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenant',
          ExpressionAttributeValues: { ':tenant': tenantId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }

  async release(domain: string, tenantId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: claimKey(domain),
          ConditionExpression: 'tenantId = :tenant',
          ExpressionAttributeValues: { ':tenant': tenantId },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}
