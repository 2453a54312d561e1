/**
 * The suppression table: one item per (tenant, address) a tenant's mail no longer goes to. Its own
 * table because its rules are its own: kept until the tenant removes an address (no TTL, unlike the
 * send ledger), restorable (point-in-time recovery), read in batches on every send. The stack and
 * the local runtime both build it from this definition.
 */
export const suppressionTableKeys = {
  /** The tenant id as the authorizer (or the trusted publisher) gave it. */
  partitionKey: { name: 'tenantId', type: 'S' },
  /** The normalised address (suppression-address.ts): a tenant's list reads in address order. */
  sortKey: { name: 'email', type: 'S' },
} as const;

/** `CreateTable` input for the local runtime and tests. */
export function suppressionTableCreateInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: suppressionTableKeys.partitionKey.name, AttributeType: suppressionTableKeys.partitionKey.type },
      { AttributeName: suppressionTableKeys.sortKey.name, AttributeType: suppressionTableKeys.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: suppressionTableKeys.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: suppressionTableKeys.sortKey.name, KeyType: 'RANGE' as const },
    ],
  };
}
