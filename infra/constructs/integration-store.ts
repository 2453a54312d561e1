import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { integrationTableKeys } from '../../shared/integrations/integration-table.js';
import { sendLedgerTableKeys } from '../../shared/sending/send-ledger-table.js';

const attributeType = (type: 'S' | 'N' | 'B') =>
  ({ S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY })[type];

/**
 * Where tenants' keys live: the KMS key that wraps every stored SendGrid key (envelope
 * encryption, bound to tenant and provider by the encryption context), the integration table
 * and the send ledger. Both tables are built from the same key definitions the local runtime
 * uses, so the two cannot drift.
 */
export class IntegrationStore extends Construct {
  readonly secretsKey: Key;
  readonly integrations: TableV2;
  readonly sendLedger: TableV2;

  constructor(scope: Construct, id: string, props: { stage: string }) {
    super(scope, id);
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'Wraps the data keys that encrypt tenants’ SendGrid API keys (email-integrations).',
      enableKeyRotation: true,
      alias: `alias/email-integrations-${props.stage}`,
      // Deleting it would make every stored key unreadable: keep it, and let KMS's waiting period guard it.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });

    // Both tables bill on demand (TableV2's default). They use the AWS-managed DynamoDB key: the secret inside is already envelope-encrypted
    // under `secretsKey`, so a stolen backup yields nothing without KMS Decrypt on that key.
    this.integrations = new TableV2(this, 'Integrations', {
      partitionKey: {
        name: integrationTableKeys.partitionKey.name,
        type: attributeType(integrationTableKeys.partitionKey.type),
      },
      sortKey: { name: integrationTableKeys.sortKey.name, type: attributeType(integrationTableKeys.sortKey.type) },
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.sendLedger = new TableV2(this, 'SendLedger', {
      partitionKey: {
        name: sendLedgerTableKeys.partitionKey.name,
        type: attributeType(sendLedgerTableKeys.partitionKey.type),
      },
      timeToLiveAttribute: sendLedgerTableKeys.timeToLiveAttribute,
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 7 },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
