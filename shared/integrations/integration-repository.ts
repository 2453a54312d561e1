import { ConditionalCheckFailedException, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DomainProblem, UpstreamUnavailableError } from '../problem-catalog.js';
import type { IntegrationRecord } from './integration-record.js';
import { EMAIL_CHANNEL } from './integration-table.js';

/** A conditional write lost a race, or the integration is not there. */
export class IntegrationStoreError extends DomainProblem {
  override readonly name = 'IntegrationStoreError';
}

/** Options for {@link IntegrationRepository}. */
export interface IntegrationRepositoryOptions {
  tableName: string;
  /** A ready-made document client (tests); default one built from `clientConfig`. */
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
}

/**
 * Reads and writes integration items. Every call takes the tenant id, and every key it
 * builds starts with it: no operation can reach another tenant's item. Writes are
 * single-item and conditional on the revision read (no transactions needed).
 */
export class IntegrationRepository {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: IntegrationRepositoryOptions) {
    this.tableName = options.tableName;
    this.client =
      options.client ??
      DynamoDBDocumentClient.from(new DynamoDBClient(options.clientConfig ?? {}), {
        marshallOptions: { removeUndefinedValues: true },
      });
  }

  /** The tenant's email integration, read strongly consistent, or undefined. */
  async get(tenantId: string): Promise<IntegrationRecord | undefined> {
    const result = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: key(tenantId), ConsistentRead: true })),
    );
    return result.Item as IntegrationRecord | undefined;
  }

  /**
   * Writes the record if the stored item is still at `expectedRevision` (undefined: if there
   * is none). The record's tenant id must be the caller's.
   */
  async put(tenantId: string, record: IntegrationRecord, expectedRevision: number | undefined): Promise<void> {
    if (record.tenantId !== tenantId) throw new Error('A record can only be written under its own tenant');
    await this.call(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record, channel: EMAIL_CHANNEL },
          ...revisionCondition(expectedRevision),
        }),
      ),
    );
  }

  /** Deletes the item if it is still at `expectedRevision`. */
  async delete(tenantId: string, expectedRevision: number): Promise<void> {
    await this.call(() =>
      this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: key(tenantId), ...revisionCondition(expectedRevision) }),
      ),
    );
  }

  /**
   * One page of every tenant's integration, for operators and the daily health check only
   * (never reachable from a tenant's request). Pass the returned token to read the next page.
   */
  async list(
    options: { limit?: number; pageToken?: string } = {},
  ): Promise<{ records: IntegrationRecord[]; nextPageToken?: string }> {
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
    const records = (result.Items ?? []) as IntegrationRecord[];
    return {
      records,
      ...(result.LastEvaluatedKey
        ? { nextPageToken: Buffer.from(JSON.stringify(result.LastEvaluatedKey)).toString('base64url') }
        : {}),
    };
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new IntegrationStoreError(
          'conflict',
          'The integration was changed by someone else while this request ran. Reload it and try again.',
          { cause: error },
        );
      }
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}

function key(tenantId: string) {
  return { tenantId, channel: EMAIL_CHANNEL };
}

function revisionCondition(expectedRevision: number | undefined) {
  return expectedRevision === undefined
    ? { ConditionExpression: 'attribute_not_exists(tenantId)' }
    : {
        ConditionExpression: '#revision = :expected',
        ExpressionAttributeNames: { '#revision': 'revision' },
        ExpressionAttributeValues: { ':expected': expectedRevision },
      };
}
