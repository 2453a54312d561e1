import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/**
 * Least-privilege statements, one per need, so each function's role reads as a list of what
 * it does. KMS use is further bound to our encryption context (tenantId + provider): the key
 * cannot be used by these roles for anything else.
 */
export function tableAccess(
  table: ITableV2,
  actions: Array<'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Scan'>,
) {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: actions.map((action) => `dynamodb:${action}`),
    resources: [table.tableArn],
  });
}

export function keyAccess(key: IKey, actions: Array<'GenerateDataKey' | 'Decrypt'>) {
  return new PolicyStatement({
    effect: Effect.ALLOW,
    actions: actions.map((action) => `kms:${action}`),
    resources: [key.keyArn],
    conditions: {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'provider'] },
      Null: { 'kms:EncryptionContext:tenantId': 'false' },
    },
  });
}
