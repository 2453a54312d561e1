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
} as const;

/** The only channel this service manages today. */
export const EMAIL_CHANNEL = 'email';

/** `CreateTable` input for an on-demand table with this key schema (local runtime, tests). */
export function integrationTableCreateInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: integrationTableKeys.partitionKey.name, AttributeType: integrationTableKeys.partitionKey.type },
      { AttributeName: integrationTableKeys.sortKey.name, AttributeType: integrationTableKeys.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: integrationTableKeys.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: integrationTableKeys.sortKey.name, KeyType: 'RANGE' as const },
    ],
  };
}
