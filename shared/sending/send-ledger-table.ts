/**
 * The send ledger's key schema: one item per (tenant, messageId), written before SendGrid is
 * called, so a redelivered event can see it was already handled. The stack and the local
 * runtime both build the table from this definition.
 */
export const sendLedgerTableKeys = {
  partitionKey: { name: 'sendKey', type: 'S' },
  /** Epoch seconds after which DynamoDB's TTL removes the item. */
  timeToLiveAttribute: 'expiresAt',
} as const;

/** How long an entry is kept: longer than any redelivery (SQS keeps messages ≤ 14 days). */
export const SEND_LEDGER_RETENTION_SECONDS = 15 * 24 * 3600;

/** `CreateTable` input for the local runtime and tests. */
export function sendLedgerTableCreateInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: sendLedgerTableKeys.partitionKey.name, AttributeType: sendLedgerTableKeys.partitionKey.type },
    ],
    KeySchema: [{ AttributeName: sendLedgerTableKeys.partitionKey.name, KeyType: 'HASH' as const }],
  };
}
