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
 * named indexes (a tenant's messages by time), or on the table itself where its key is queried (`queryByKey`).
 */
export function tableAccess(
  table: ITableV2,
  actions: TableAction[],
  queryIndexes: readonly string[] = [],
  queryByKey = false,
) {
  const onItems = queryByKey || actions.some((action) => action !== 'Query');
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: actions.map((action) => `dynamodb:${action}`),
    resources: [
      ...(onItems ? [table.tableArn] : []),
      ...(actions.includes('Query') ? queryIndexes.map((index) => `${table.tableArn}/index/${index}`) : []),
    ],
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
