import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { KeyAction, TableAction } from '../function-access.js';

/**
 * The encryption context every use of the secrets key must carry: exactly tenantId and provider,
 * with a tenant. Applied in the roles and in the key policy, so the key serves nothing else.
 */
export const KEY_CONTEXT_CONDITIONS = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'provider'] },
  Null: { 'kms:EncryptionContext:tenantId': 'false' },
};

/**
 * DynamoDB actions on one table, and nothing else (no streams). `Query` is allowed only on the
 * named indexes (a tenant's messages by time), or on the table itself where its key is queried
 * (`queryByKey`); with other actions on the table, the index query is a statement of its own.
 * `ScanKeys` is a Scan that may return only `keyAttributes`.
 */
export function tableAccess(
  table: ITableV2,
  actions: TableAction[],
  queryIndexes: readonly string[] = [],
  queryByKey = false,
  keyAttributes: readonly string[] = [],
): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  const itemActions = actions.filter((action) => action !== 'ScanKeys');
  if (actions.includes('ScanKeys')) {
    statements.push(scanKeysAccess(table, keyAttributes));
  }
  const queriesIndexesOnly = itemActions.includes('Query') && !queryByKey;
  const onTable = queriesIndexesOnly ? itemActions.filter((action) => action !== 'Query') : itemActions;
  const indexes = itemActions.includes('Query') ? queryIndexes.map((index) => `${table.tableArn}/index/${index}`) : [];
  if (queriesIndexesOnly && onTable.length > 0) {
    statements.push(allowOn(onTable, [table.tableArn]), allowOn(['Query'], indexes));
  } else if (itemActions.length > 0) {
    statements.push(allowOn(itemActions, [...(onTable.length > 0 ? [table.tableArn] : []), ...indexes]));
  }
  return statements;
}

function allowOn(actions: TableAction[], resources: string[]): PolicyStatement {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: actions.map((action) => `dynamodb:${action}`),
    resources,
  });
}

/**
 * Scan of the table's key attributes only: the request must name them (`Select:
 * SPECIFIC_ATTRIBUTES`, a projection of no other attribute), so the role reads no item's contents.
 */
function scanKeysAccess(table: ITableV2, keyAttributes: readonly string[]): PolicyStatement {
  if (keyAttributes.length === 0) throw new Error('ScanKeys needs the table’s key attributes');
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: ['dynamodb:Scan'],
    resources: [table.tableArn],
    conditions: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...keyAttributes] },
      StringEquals: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    },
  });
}

/** KMS actions on the secrets key, bound to our encryption context (tenantId + provider). */
export function keyAccess(key: IKey, actions: KeyAction[]) {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: actions.map((action) => `kms:${action}`),
    resources: [key.keyArn],
    conditions: KEY_CONTEXT_CONDITIONS,
  });
}
