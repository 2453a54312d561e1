/**
 * The integration table's key schema: the one definition both the CDK stack and the
 * local runtime (dynalite) build the table from, so the two cannot drift.
 */
export const integrationTableKeys = {
  /** Partition key: every item belongs to exactly one tenant. */
  partitionKey: { name: 'tenantId', type: 'S' },
  /**
   * Sort key: the channel the integration serves ("email"). One item per tenant and
   * channel; which provider serves it (SendGrid today, SES later) is an attribute, so a
   * provider swap rewrites one item instead of moving data between keys.
   */
  sortKey: { name: 'channel', type: 'S' },
  /**
   * A sparse index of the blocked tenants: only items whose status stops their mail carry
   * `blockedStatus` (the repository sets and removes it with `status`), so the 15-minute re-check
   * queries a handful of keys instead of scanning every tenant. Keys only.
   */
  blockedIndex: {
    indexName: 'byBlockedStatus',
    partitionKey: { name: 'blockedStatus', type: 'S' },
    sortKey: { name: 'tenantId', type: 'S' },
  },
} as const;

/** The status that stops a tenant's mail until cleared: kept in the sparse blocked index, re-checked every 15 minutes. */
export const BLOCKED_STATUS = 'key_rejected';
/** Every status the blocked index holds (one today). */
export const BLOCKED_STATUSES: ReadonlySet<string> = new Set([BLOCKED_STATUS]);

/**
 * The DynamoDB action each integration-repository operation issues. Roles are granted by
 * operation (infra/function-access.ts), and the repository's unit test pins each operation to its
 * action, so a repository change cannot outrun IAM (an `update` is an UpdateItem, not a PutItem).
 */
export const INTEGRATION_OPERATION_ACTIONS = {
  read: 'GetItem',
  create: 'PutItem',
  update: 'UpdateItem',
  delete: 'DeleteItem',
} as const;

/** An operation of the integration repository a function may be granted. */
export type IntegrationOperation = keyof typeof INTEGRATION_OPERATION_ACTIONS;

/** The only channel this service manages today. */
export const EMAIL_CHANNEL = 'email';

/** `CreateTable` input for an on-demand table with this key schema (local runtime, tests). */
export function integrationTableCreateInput(tableName: string) {
  const blocked = integrationTableKeys.blockedIndex;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: integrationTableKeys.partitionKey.name, AttributeType: integrationTableKeys.partitionKey.type },
      { AttributeName: integrationTableKeys.sortKey.name, AttributeType: integrationTableKeys.sortKey.type },
      { AttributeName: blocked.partitionKey.name, AttributeType: blocked.partitionKey.type },
    ],
    KeySchema: [
      { AttributeName: integrationTableKeys.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: integrationTableKeys.sortKey.name, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: blocked.indexName,
        KeySchema: [
          { AttributeName: blocked.partitionKey.name, KeyType: 'HASH' as const },
          { AttributeName: blocked.sortKey.name, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' as const },
      },
    ],
  };
}
