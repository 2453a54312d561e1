import { randomBytes } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  ListResourceTenantsCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkerClients, healthCheckSettings } from '../../shared/composition/health-check.js';
import { domainOnboardingDeps } from '../../shared/composition/ses-domains.js';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { createCheckHandler } from '../../shared/integrations/health-check-handlers.js';
import { secretContext } from '../../shared/integrations/integration-record.js';
import { createLogger } from '../../shared/observability/logger.js';
import { OutcomeAnnouncer } from '../../shared/outcome-events/outcome-announcer.js';
import { CredentialsProblem, type ProviderVerification } from '../../shared/providers/email-provider.js';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';
import { checkDueDomains } from '../../shared/ses-domains/domain-checker.js';
import type { DomainRecord } from '../../shared/ses-domains/domain-store.js';
import { announcerOn, CREATED, card, NOW, publishedOn } from '../support/announced-cards.js';
import { InMemoryDomainStore } from '../support/in-memory-domain-store.js';
import { InMemoryHealthRuns } from '../support/in-memory-health-runs.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const eventBridge = mockClient(EventBridgeClient);
const ses = mockClient(SESv2Client);

function sqsRecord(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:health-checks',
    awsRegion: 'eu-central-1',
  };
}

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  ses.reset();
});

describe('the health check’s checker function', () => {
  let store: InMemoryIntegrationStore;
  let cipher: EnvelopeCipher;
  let refuse: boolean;

  const provider = {
    async verify(): Promise<ProviderVerification> {
      if (refuse) throw new CredentialsProblem('key_rejected', 'refused');
      return {
        provider: 'sendgrid',
        region: 'global',
        keyId: 'key-1',
        scopes: { granted: [], required: [], ignored: [] },
        domains: [{ domain: 'acme.example', valid: true }],
        senders: [],
      };
    },
    async senderDomains() {
      return [{ domain: 'acme.example', valid: true }];
    },
  };

  async function runCheck(runId: string): Promise<void> {
    const handler = createCheckHandler({
      repository: store,
      cipher,
      providers: { sendgrid: provider, ses: provider },
      runs: new InMemoryHealthRuns(),
      concurrency: 2,
      claimLeaseMs: 60_000,
      statusEvents: announcerOn(eventBridge),
      logger: createLogger(),
      metrics: { addMetric: () => undefined },
    });
    const answer = await handler({ Records: [sqsRecord('m-1', { runId, tenantId: 'tenant-a' })] });
    expect(answer.batchItemFailures).toEqual([]);
  }

  beforeEach(async () => {
    store = new InMemoryIntegrationStore({ now: () => NOW });
    cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));
    refuse = false;
    store.seed(card({ secret: await cipher.encrypt('SG.key', secretContext('tenant-a', 'sendgrid')) }));
  });

  it('publishes one Integration Status Changed with the tenant, new status and reason when a check turns the card key_rejected', async () => {
    refuse = true;

    await runCheck('run-1');

    expect(store.peek('tenant-a')?.status).toBe('key_rejected');
    expect(publishedOn(eventBridge)).toEqual([
      {
        detailType: 'Email Integration Status Changed',
        detail: expect.objectContaining({
          tenantId: 'tenant-a',
          provider: 'sendgrid',
          status: 'key_rejected',
          previousStatus: 'active',
          cause: 'health_check',
          reason: expect.stringContaining('refuses the key'),
        }),
      },
    ]);
  });

  it('publishes nothing when the check leaves the card’s status as it was', async () => {
    await runCheck('run-1');

    expect(store.peek('tenant-a')).toMatchObject({ status: 'active', revision: 2 });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe('the SES domain checker', () => {
  let domains: InMemoryDomainStore;
  let integrations: InMemoryIntegrationStore;
  let dkimFound: boolean;

  const identity = (status: 'SUCCESS' | 'TEMPORARY_FAILURE'): GetEmailIdentityCommandOutput => ({
    $metadata: {},
    VerificationStatus: status,
    VerifiedForSendingStatus: true,
    DkimAttributes: { Tokens: ['tok1', 'tok2', 'tok3'], Status: status },
    MailFromAttributes: {
      MailFromDomain: 'bounce.acme.example',
      MailFromDomainStatus: 'SUCCESS',
      BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
    },
  });

  async function runCheck(): Promise<void> {
    await checkDueDomains({
      store: domains,
      integrations,
      statusEvents: announcerOn(eventBridge),
      onboarding: new SesProvider({ accountId: '123456789012', configurationSet: 'email-integrations' }).onboarding,
      dns: {
        check: async (records: readonly DomainRecord[]) =>
          records.map((record) => ({
            ...record,
            status: record.purpose === 'dkim' && !dkimFound ? ('missing' as const) : ('found' as const),
          })),
      },
      settings: { regions: ['eu-west-1'] },
      now: () => NOW,
    });
  }

  beforeEach(async () => {
    domains = new InMemoryDomainStore();
    integrations = new InMemoryIntegrationStore({ now: () => NOW });
    integrations.seed(card({ provider: 'ses', region: 'eu-west-1', keyId: 'ei-tenant-a' }));
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
    await domains.put({
      tenantId: 'tenant-a',
      domain: 'acme.example',
      region: 'eu-west-1',
      status: 'verified',
      verifiedAt: CREATED,
      records: [],
      createdAt: CREATED,
      nextCheckAt: CREATED,
    });
  });

  it('publishes one Integration Status Changed with the tenant, new status and reason when a check turns the card domain_failed', async () => {
    ses.on(GetEmailIdentityCommand).resolves(identity('TEMPORARY_FAILURE'));
    dkimFound = false;

    await runCheck();

    expect(integrations.peek('tenant-a')?.status).toBe('domain_failed');
    expect(publishedOn(eventBridge)).toEqual([
      {
        detailType: 'Email Integration Status Changed',
        detail: expect.objectContaining({
          tenantId: 'tenant-a',
          provider: 'ses',
          status: 'domain_failed',
          previousStatus: 'active',
          cause: 'domain_check',
          reason: expect.stringContaining('failed verification'),
        }),
      },
    ]);
  });

  it('publishes nothing when the domain still verifies and the card stays as it was', async () => {
    ses.on(GetEmailIdentityCommand).resolves(identity('SUCCESS'));
    dkimFound = true;

    await runCheck();

    expect((await domains.get('tenant-a', 'acme.example'))?.lastCheckedAt).toBe(NOW.toISOString());
    expect(integrations.peek('tenant-a')).toMatchObject({ status: 'active', revision: 1 });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe('the checkers’ composition', () => {
  const env = {
    TABLE_NAME: 'integrations',
    HEALTH_RUN_TABLE_NAME: 'health-runs',
    SES_DOMAIN_TABLE_NAME: 'ses-domains',
    SES_ACCOUNT_ID: '123456789012',
    KMS_KEY_ID: 'arn:aws:kms:eu-central-1:123456789012:key/1234',
    OUTCOME_EVENT_BUS_NAME: 'email-integrations-test',
  };

  it('gives the health check’s checker and the domain checkers an announcer on the service bus', () => {
    expect(checkerClients(healthCheckSettings(env), env).statusEvents).toBeInstanceOf(OutcomeAnnouncer);
    expect(domainOnboardingDeps({ integrations: true, announceStatus: true }, env).statusEvents).toBeInstanceOf(
      OutcomeAnnouncer,
    );
  });
});
