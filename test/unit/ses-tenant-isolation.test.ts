import { randomBytes } from 'node:crypto';
import {
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  GetTenantCommand,
  ListEmailIdentitiesCommand,
  ListResourceTenantsCommand,
  ListTenantResourcesCommand,
  SESv2Client,
  UpdateReputationEntityPolicyCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { checkIntegration } from '../../shared/integrations/health-check.js';
import { type IntegrationRecord, secretContext } from '../../shared/integrations/integration-record.js';
import { updateSenders } from '../../shared/integrations/integration-use-cases.js';
import { moveToSes } from '../../shared/integrations/provider-migration.js';
import { createProviderRegistry } from '../../shared/providers/provider-registry.js';
import type { SendGridTransport } from '../../shared/providers/sendgrid/sendgrid-provider.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const ses = mockClient(SESv2Client);
const arn = (domain: string) => `arn:aws:ses:eu-west-1:123456789012:identity/${domain}`;
const verified = { VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' as const } };
const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));
const unusedSendGrid: SendGridTransport = {
  get: async () => {
    throw new Error('SendGrid is not asked in these tests');
  },
  post: async () => {
    throw new Error('SendGrid is not asked in these tests');
  },
};

/** The platform's SES account: both domains verified; acme.example belongs to tenant A's SES tenant only. */
function platformAccount() {
  ses.on(ListEmailIdentitiesCommand).resolves({
    EmailIdentities: [
      { IdentityType: 'DOMAIN', IdentityName: 'acme.example' },
      { IdentityType: 'DOMAIN', IdentityName: 'globex.example' },
    ],
  });
  ses.on(GetEmailIdentityCommand).resolves(verified);
  ses.on(ListTenantResourcesCommand).resolves({ TenantResources: [] });
  ses
    .on(ListTenantResourcesCommand, { TenantName: 'ei-tenant-a' })
    .resolves({ TenantResources: [{ ResourceType: 'EMAIL_IDENTITY', ResourceArn: arn('acme.example') }] });
  ses
    .on(ListTenantResourcesCommand, { TenantName: 'ei-tenant-b' })
    .resolves({ TenantResources: [{ ResourceType: 'EMAIL_IDENTITY', ResourceArn: arn('globex.example') }] });
  ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [] });
  ses
    .on(ListResourceTenantsCommand, { ResourceArn: arn('acme.example') })
    .resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
  // The health check asks whether SES paused a tenant: none is.
  ses.on(GetTenantCommand).resolves({ Tenant: { SendingStatus: 'ENABLED' } });
}

function sesRecord(tenantId: string, emails: string[]): IntegrationRecord {
  return {
    tenantId,
    channel: 'email',
    provider: 'ses',
    region: 'eu-west-1',
    keyId: `ei-${tenantId}`,
    emails,
    status: 'active',
    keyVersion: 1,
    revision: 2,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
  };
}

describe('SES tenants keep to their own identities', () => {
  let store: InMemoryIntegrationStore;
  const providers = createProviderRegistry({
    sendGrid: { api: unusedSendGrid },
    ses: { accountId: '123456789012' },
  });

  beforeEach(() => {
    platformAccount();
    store = new InMemoryIntegrationStore();
  });
  afterEach(() => {
    ses.reset();
  });

  it('refuses tenant B a sender at tenant A’s domain, though the platform account has it verified', async () => {
    store.seed(sesRecord('tenant-b', ['info@globex.example']));

    await expect(
      updateSenders({ repository: store, cipher, providers }, 'tenant-b', { emails: ['info@acme.example'] }),
    ).rejects.toMatchObject({
      code: 'sender_not_authenticated',
      extensions: { emails: ['info@acme.example'], authenticatedDomains: ['globex.example'] },
    });
    expect(store.writes).toBe(0);
  });

  it('accepts tenant B’s senders at its own SES tenant’s domains', async () => {
    store.seed(sesRecord('tenant-b', ['info@globex.example']));

    const card = await updateSenders({ repository: store, cipher, providers }, 'tenant-b', {
      emails: ['noreply@globex.example', 'info@globex.example'],
    });

    expect(card.emails).toEqual(['noreply@globex.example', 'info@globex.example']);
  });

  it('finds a tenant’s sender at another tenant’s domain unauthenticated in the health check', async () => {
    const record = sesRecord('tenant-b', ['info@globex.example', 'sales@acme.example']);
    store.seed(record);

    const outcome = await checkIntegration({ repository: store, cipher, providers }, record);

    expect(outcome).toBe('sender_unauthenticated');
    expect(store.peek('tenant-b')?.status).toBe('sender_unauthenticated');
  });

  it('keeps a card domain_failed in the health check while the SES domain checker has a failed domain on it', async () => {
    const record = { ...sesRecord('tenant-b', ['info@globex.example']), failedDomains: ['globex.example'] };
    store.seed(record);

    const outcome = await checkIntegration({ repository: store, cipher, providers }, record);

    expect(outcome).toBe('domain_failed');
    expect(store.peek('tenant-b')).toMatchObject({ status: 'domain_failed', failedDomains: ['globex.example'] });
  });

  it('refuses to move a tenant onto a domain another SES tenant holds, and associates nothing', async () => {
    store.seed({
      ...sesRecord('tenant-c', ['info@acme.example']),
      provider: 'sendgrid',
      region: 'global',
      keyId: 'k',
      secret: await cipher.encrypt('SG.key', secretContext('tenant-c', 'sendgrid')),
    });

    await expect(
      moveToSes({ repository: store, cipher, providers }, 'tenant-c', { region: 'eu-west-1' }),
    ).rejects.toMatchObject({ code: 'sender_not_authenticated', extensions: { emails: ['info@acme.example'] } });
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand)).toHaveLength(0);
    expect(store.peek('tenant-c')?.provider).toBe('sendgrid');
  });

  it('associates every sender domain with the tenant’s own SES tenant when it moves', async () => {
    ses.on(CreateTenantCommand).resolves({ TenantArn: 'arn:aws:ses:eu-west-1:123456789012:tenant/ei-tenant-b/tn-1' });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).resolves({});
    store.seed({
      ...sesRecord('tenant-b', ['info@globex.example', 'noreply@news.globex.example']),
      provider: 'sendgrid',
      region: 'global',
      keyId: 'k',
      secret: await cipher.encrypt('SG.key', secretContext('tenant-b', 'sendgrid')),
    });

    const card = await moveToSes({ repository: store, cipher, providers }, 'tenant-b', { region: 'eu-west-1' });

    expect(card).toMatchObject({ provider: 'ses', keyId: 'ei-tenant-b' });
    expect(ses.commandCalls(CreateTenantCommand)[0]?.args[0].input).toMatchObject({ TenantName: 'ei-tenant-b' });
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand).map((call) => call.args[0].input)).toEqual([
      { TenantName: 'ei-tenant-b', ResourceArn: arn('globex.example') },
      { TenantName: 'ei-tenant-b', ResourceArn: arn('news.globex.example') },
    ]);
  });
});
