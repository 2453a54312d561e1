import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, Effect, type IPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { eventWebhookTableKeys } from '../../shared/feedback/event-webhook-store.js';
import { healthRunTableKeys } from '../../shared/integrations/health-runs.js';
import { integrationTableKeys } from '../../shared/integrations/integration-table.js';
import { rateLimitTableKeys } from '../../shared/integrations/key-check-limit.js';
import { sendLedgerTableKeys } from '../../shared/sending/send-ledger-table.js';
import { domainTableKeys } from '../../shared/ses-domains/domain-store.js';
import { suppressionTableKeys } from '../../shared/suppression/suppression-table.js';
import type { KeyAction } from '../function-access.js';
import { KEY_CONTEXT_CONDITIONS } from './access.js';

const attributeType = (type: 'S' | 'N' | 'B') =>
  ({ S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY })[type];

/**
 * Managing the key, for the account's administrators (and CloudFormation): everything but using it.
 * No Encrypt, Decrypt, GenerateDataKey… or ReEncrypt…, and no CreateGrant either, which would let an
 * administrator hand itself Decrypt without a visible change to this policy.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/**
 * Where tenants' keys live: the KMS key that wraps every stored SendGrid key (envelope
 * encryption, bound to tenant and provider by the encryption context), the integration table,
 * the send ledger and the key-check limiter. The tables are built from the same key definitions
 * the local runtime uses, so the two cannot drift.
 */
export class IntegrationStore extends Construct {
  readonly secretsKey: Key;
  readonly integrations: TableV2;
  readonly sendLedger: TableV2;
  readonly keyChecks: TableV2;
  /** Tenants' Amazon SES sending domains, and one claim per domain across tenants. */
  readonly sesDomains: TableV2;
  /** The health check's run summaries and per-(run, tenant) claims. */
  readonly healthRuns: TableV2;
  /** Tenants' suppression lists: addresses their mail no longer goes to. */
  readonly suppressions: TableV2;
  /** Tenants' Event Webhook registrations, and the lookup from each public webhook URL's id to its tenant. */
  readonly eventWebhooks: TableV2;

  constructor(scope: Construct, id: string, props: { stage: string }) {
    super(scope, id);
    // An explicit key policy: CDK's default one grants the account root kms:*, which lets every
    // administrator in the account decrypt every tenant's key. The account keeps administration;
    // use is granted per role by `allowKeyUse`.
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'Wraps the data keys that encrypt tenants’ SendGrid API keys (email-integrations).',
      enableKeyRotation: true,
      alias: `alias/email-integrations-${props.stage}`,
      // Deleting it would make every stored key unreadable: keep it, and let KMS's waiting period guard it.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'KeyAdministration',
            effect: Effect.ALLOW,
            principals: [new AccountRootPrincipal()],
            actions: KEY_ADMIN_ACTIONS,
            resources: ['*'],
          }),
        ],
      }),
    });

    // The tables bill on demand (TableV2's default). They use the AWS-managed DynamoDB key: the secret inside is already envelope-encrypted
    // under `secretsKey`, so a stolen backup yields nothing without KMS Decrypt on that key.
    this.integrations = new TableV2(this, 'Integrations', {
      partitionKey: {
        name: integrationTableKeys.partitionKey.name,
        type: attributeType(integrationTableKeys.partitionKey.type),
      },
      sortKey: { name: integrationTableKeys.sortKey.name, type: attributeType(integrationTableKeys.sortKey.type) },
      // Sparse: only blocked tenants carry its key, so the 15-minute re-check queries instead of scanning.
      globalSecondaryIndexes: [
        {
          indexName: integrationTableKeys.blockedIndex.indexName,
          partitionKey: {
            name: integrationTableKeys.blockedIndex.partitionKey.name,
            type: attributeType(integrationTableKeys.blockedIndex.partitionKey.type),
          },
          sortKey: {
            name: integrationTableKeys.blockedIndex.sortKey.name,
            type: attributeType(integrationTableKeys.blockedIndex.sortKey.type),
          },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
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
      globalSecondaryIndexes: [
        {
          indexName: sendLedgerTableKeys.tenantTimeIndex.indexName,
          partitionKey: {
            name: sendLedgerTableKeys.tenantTimeIndex.partitionKey.name,
            type: attributeType(sendLedgerTableKeys.tenantTimeIndex.partitionKey.type),
          },
          sortKey: {
            name: sendLedgerTableKeys.tenantTimeIndex.sortKey.name,
            type: attributeType(sendLedgerTableKeys.tenantTimeIndex.sortKey.type),
          },
        },
      ],
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 7 },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.keyChecks = new TableV2(this, 'KeyChecks', {
      partitionKey: {
        name: rateLimitTableKeys.partitionKey.name,
        type: attributeType(rateLimitTableKeys.partitionKey.type),
      },
      timeToLiveAttribute: rateLimitTableKeys.timeToLiveAttribute,
      encryption: TableEncryptionV2.awsManagedKey(),
      // No point-in-time recovery: the counters live for one limit window (an hour); a restore would
      // bring back stale counts, and losing them only resets the limit. Nothing to keep on removal either.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.sesDomains = new TableV2(this, 'SesDomains', {
      partitionKey: { name: domainTableKeys.partitionKey.name, type: attributeType(domainTableKeys.partitionKey.type) },
      sortKey: { name: domainTableKeys.sortKey.name, type: attributeType(domainTableKeys.sortKey.type) },
      // The scheduled checker's query of watched domains by their next check (never a scan).
      globalSecondaryIndexes: [
        {
          indexName: domainTableKeys.checkIndex.indexName,
          partitionKey: {
            name: domainTableKeys.checkIndex.partitionKey.name,
            type: attributeType(domainTableKeys.checkIndex.partitionKey.type),
          },
          sortKey: {
            name: domainTableKeys.checkIndex.sortKey.name,
            type: attributeType(domainTableKeys.checkIndex.sortKey.type),
          },
        },
      ],
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.healthRuns = new TableV2(this, 'HealthRuns', {
      partitionKey: {
        name: healthRunTableKeys.partitionKey.name,
        type: attributeType(healthRunTableKeys.partitionKey.type),
      },
      timeToLiveAttribute: healthRunTableKeys.timeToLiveAttribute,
      encryption: TableEncryptionV2.awsManagedKey(),
      // Bookkeeping that expires within 30 days; losing it only means the next tick starts a new run.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Kept until a tenant removes an address (no TTL): losing it would mail people who complained.
    this.suppressions = new TableV2(this, 'Suppressions', {
      partitionKey: {
        name: suppressionTableKeys.partitionKey.name,
        type: attributeType(suppressionTableKeys.partitionKey.type),
      },
      sortKey: { name: suppressionTableKeys.sortKey.name, type: attributeType(suppressionTableKeys.sortKey.type) },
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.eventWebhooks = new TableV2(this, 'EventWebhooks', {
      partitionKey: {
        name: eventWebhookTableKeys.partitionKey.name,
        type: attributeType(eventWebhookTableKeys.partitionKey.type),
      },
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets `principals` use the secrets key for `action`, in the key policy, only with the tenant
   * encryption context. Without such a statement a role's own policy cannot use the key.
   */
  allowKeyUse(sid: string, action: KeyAction, principals: IPrincipal[]): void {
    if (principals.length === 0) return;
    this.secretsKey.addToResourcePolicy(
      new PolicyStatement({
        sid,
        effect: Effect.ALLOW,
        principals,
        actions: [`kms:${action}`],
        resources: ['*'],
        conditions: KEY_CONTEXT_CONDITIONS,
      }),
    );
  }
}
