import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetEmailIdentityCommand, ListResourceTenantsCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EncryptedSecret } from '../../shared/crypto/envelope.js';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import { createLogger } from '../../shared/observability/logger.js';
import { OutcomeAnnouncer } from '../../shared/outcome-events/outcome-announcer.js';
import { EventBridgeOutcomePublisher } from '../../shared/outcome-events/outcome-publisher.js';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';
import { activateSes } from '../../shared/ses-domains/domain-onboarding.js';
import type { DomainRecord } from '../../shared/ses-domains/domain-store.js';
import { InMemoryDomainStore } from '../support/in-memory-domain-store.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const eventBridge = mockClient(EventBridgeClient);
const ses = mockClient(SESv2Client);
const CREATED = '2026-01-01T00:00:00.000Z';
const NOW = new Date('2026-01-01T00:10:00.000Z');
/** A stored SendGrid key as the item holds it (never decrypted here: activation only parks it). */
const SECRET: EncryptedSecret = {
  formatVersion: 1,
  algorithm: 'AES-256-GCM',
  masterKeyId: 'local:test',
  encryptedDataKey: 'a2V5',
  iv: 'aXY=',
  authTag: 'dGFn',
  ciphertext: 'c2VjcmV0',
};

/** The announcer the composition builds, on a mocked EventBridge. */
function announcer(): OutcomeAnnouncer {
  return new OutcomeAnnouncer({
    publisher: new EventBridgeOutcomePublisher({
      busName: 'email-integrations-test',
      client: eventBridge as unknown as EventBridgeClient,
      backoffMs: 0,
    }),
    logger: createLogger(),
    metrics: { addMetric: () => undefined },
    now: () => NOW,
  });
}

/** The details of every event put on the bus, in order. */
function published(): Array<{ detailType: string | undefined; detail: Record<string, unknown> }> {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      detailType: entry.DetailType,
      detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
    })),
  );
}

function card(fields: Partial<IntegrationRecord>): IntegrationRecord {
  return {
    tenantId: 'tenant-a',
    channel: 'email',
    provider: 'sendgrid',
    region: 'global',
    keyId: 'key-1',
    emails: ['info@acme.example'],
    status: 'active',
    keyVersion: 1,
    revision: 1,
    createdAt: CREATED,
    updatedAt: CREATED,
    lastVerifiedAt: CREATED,
    ...fields,
  };
}

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  ses.reset();
});

describe('activateSes', () => {
  let domains: InMemoryDomainStore;
  let integrations: InMemoryIntegrationStore;

  async function activate(emails = ['hello@acme.example']) {
    return activateSes(
      {
        store: domains,
        integrations,
        statusEvents: announcer(),
        onboarding: new SesProvider({ accountId: '123456789012', configurationSet: 'email-integrations' }).onboarding,
        dns: {
          check: async (records: readonly DomainRecord[]) =>
            records.map((record) => ({ ...record, status: 'found' as const })),
        },
        settings: { regions: ['eu-west-1'] },
        now: () => NOW,
      },
      'tenant-a',
      { emails },
    );
  }

  beforeEach(async () => {
    domains = new InMemoryDomainStore();
    integrations = new InMemoryIntegrationStore({ now: () => NOW });
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
    ses.on(GetEmailIdentityCommand).resolves({
      VerificationStatus: 'SUCCESS',
      VerifiedForSendingStatus: true,
      DkimAttributes: { Tokens: ['tok1', 'tok2', 'tok3'], Status: 'SUCCESS' },
      MailFromAttributes: {
        MailFromDomain: 'bounce.acme.example',
        MailFromDomainStatus: 'SUCCESS',
        BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
      },
    });
    await domains.put({
      tenantId: 'tenant-a',
      domain: 'acme.example',
      region: 'eu-west-1',
      status: 'verified',
      verifiedAt: CREATED,
      records: [],
      createdAt: CREATED,
    });
  });

  it('publishes one Integration Status Changed with the tenant, new status and reason when it switches a SendGrid card to SES', async () => {
    integrations.seed(card({ status: 'key_rejected', secret: SECRET }));

    await activate();

    expect(integrations.peek('tenant-a')).toMatchObject({ provider: 'ses', status: 'active' });
    expect(published()).toEqual([
      {
        detailType: 'Email Integration Status Changed',
        detail: expect.objectContaining({
          tenantId: 'tenant-a',
          provider: 'ses',
          status: 'active',
          previousStatus: 'key_rejected',
          cause: 'ses_activated',
          reason: expect.stringMatching(/switched its sending to Amazon SES.*Mail is sent\./),
        }),
      },
    ]);
  });

  it('announces the switch from an active SendGrid card too: mail now leaves through another provider', async () => {
    integrations.seed(card({}));

    await activate();

    expect(published().map((event) => event.detail)).toEqual([
      expect.objectContaining({ provider: 'ses', status: 'active', previousStatus: 'active', cause: 'ses_activated' }),
    ]);
  });

  it('announces a card it creates, with no previous status', async () => {
    await activate();

    expect(published().map((event) => event.detail)).toEqual([
      expect.objectContaining({ tenantId: 'tenant-a', provider: 'ses', status: 'active', previousStatus: null }),
    ]);
  });

  it('publishes nothing when an active SES card only gets other senders', async () => {
    integrations.seed(card({ provider: 'ses', region: 'eu-west-1', keyId: 'ei-tenant-a' }));

    await activate(['hello@acme.example', 'info@acme.example']);

    expect(integrations.peek('tenant-a')).toMatchObject({ emails: ['hello@acme.example', 'info@acme.example'] });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
