/**
 * The send ledger's key schema: one item per (tenant, messageId), written before SendGrid is
 * called, so a redelivered event can see it was already handled. The stack and the local
 * runtime both build the table from this definition.
 */
export const sendLedgerTableKeys = {
  partitionKey: { name: 'sendKey', type: 'S' },
  /** Epoch seconds after which DynamoDB's TTL removes the item. */
  timeToLiveAttribute: 'expiresAt',
  /** A tenant's messages newest first (`GET /messages`): a query, never a scan. */
  tenantTimeIndex: {
    indexName: 'byTenantTime',
    partitionKey: { name: 'tenantId', type: 'S' },
    sortKey: { name: 'createdAt', type: 'S' },
  },
} as const;

/**
 * How long an entry (status, timeline and recipients of one message) is kept: longer than any
 * redelivery (SQS keeps messages ≤ 14 days); after it `GET /messages` no longer shows it.
 */
export const SEND_LEDGER_RETENTION_SECONDS = 15 * 24 * 3600;

/** `CreateTable` input for the local runtime and tests. */
export function sendLedgerTableCreateInput(tableName: string) {
  const index = sendLedgerTableKeys.tenantTimeIndex;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: sendLedgerTableKeys.partitionKey.name, AttributeType: sendLedgerTableKeys.partitionKey.type },
      { AttributeName: index.partitionKey.name, AttributeType: index.partitionKey.type },
      { AttributeName: index.sortKey.name, AttributeType: index.sortKey.type },
    ],
    KeySchema: [{ AttributeName: sendLedgerTableKeys.partitionKey.name, KeyType: 'HASH' as const }],
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
