import {
  AlreadyExistsException,
  CreateEmailIdentityCommand,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  type CreateTenantResourceAssociationCommandInput,
  DeleteEmailIdentityCommand,
  DeleteTenantResourceAssociationCommand,
  type DeleteTenantResourceAssociationCommandInput,
  GetEmailIdentityCommand,
  GetTenantCommand,
  ListResourceTenantsCommand,
  type ListResourceTenantsCommandInput,
  PutEmailIdentityMailFromAttributesCommand,
  SESv2Client,
  UpdateReputationEntityPolicyCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';
import type { DnsLookup } from '../../shared/ses-domains/dns-check.js';
import {
  activateSes,
  addDomain,
  checkDomain,
  type DomainOnboardingDeps,
  listDomains,
  removeDomain,
} from '../../shared/ses-domains/domain-onboarding.js';
import { allowedRegion, normalizeDomain } from '../../shared/ses-domains/domain-rules.js';
import type { DomainRecord } from '../../shared/ses-domains/domain-store.js';
import { InMemoryDomainStore } from '../support/in-memory-domain-store.js';

const ses = mockClient(SESv2Client);
const meta = { $metadata: {} };
const TOKENS = ['tok1', 'tok2', 'tok3'];
const pending = {
  VerificationStatus: 'PENDING' as const,
  VerifiedForSendingStatus: false,
  DkimAttributes: { Tokens: TOKENS, Status: 'PENDING' as const },
  MailFromAttributes: {
    MailFromDomain: 'bounce.acme.example',
    MailFromDomainStatus: 'PENDING' as const,
    BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' as const,
  },
};
const TENANT_ARN = 'arn:aws:ses:eu-west-1:123456789012:tenant/ei-tenant-a/tn-1';
const verified = { ...pending, VerificationStatus: 'SUCCESS' as const, VerifiedForSendingStatus: true };

let store: InMemoryDomainStore;
let integration: IntegrationRecord | undefined;
let dnsAnswer: (record: DomainRecord) => DomainRecord['status'];

function deps(): DomainOnboardingDeps {
  const dns: DnsLookup = {
    check: async (records) => records.map((record) => ({ ...record, status: dnsAnswer(record) })),
  };
  return {
    store,
    integrations: {
      get: async () => integration,
      create: async (tenantId, fields) => {
        const now = '2026-01-02T00:00:00.000Z';
        const given = typeof fields === 'function' ? fields(now) : fields;
        integration = { ...given, tenantId, channel: 'email', revision: 1, createdAt: now, updatedAt: now };
        return integration;
      },
      update: async (_tenantId, revision, change) => {
        const now = '2026-01-03T00:00:00.000Z';
        const given = typeof change === 'function' ? change(now) : change;
        integration = {
          ...(integration as IntegrationRecord),
          ...given,
          revision: revision + 1,
          updatedAt: now,
        } as IntegrationRecord;
        return integration;
      },
    },
    onboarding: new SesProvider({ accountId: '123456789012', configurationSet: 'email-integrations' }).onboarding,
    dns,
    settings: { regions: ['eu-west-1', 'us-east-1'] },
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  };
}

beforeEach(() => {
  ses.reset();
  store = new InMemoryDomainStore();
  integration = undefined;
  dnsAnswer = () => 'missing';
  ses.on(GetEmailIdentityCommand).resolves(pending);
  // The SES tenant's set-up: its ARN names it for the reputation policy; identities start unassociated.
  ses.on(CreateTenantCommand).resolves({ TenantName: 'ei-tenant-a', TenantArn: TENANT_ARN });
  ses.on(GetTenantCommand).resolves({ Tenant: { TenantName: 'ei-tenant-a', TenantArn: TENANT_ARN } });
  ses.on(UpdateReputationEntityPolicyCommand).resolves({});
  // SES's associations: what onboarding associated, as ListResourceTenants answers them.
  const associations = new Map<string, string[]>();
  ses.on(CreateTenantResourceAssociationCommand).callsFake((input: CreateTenantResourceAssociationCommandInput) => {
    associations.set(input.ResourceArn as string, [input.TenantName as string]);
    return {};
  });
  ses.on(DeleteTenantResourceAssociationCommand).callsFake((input: DeleteTenantResourceAssociationCommandInput) => {
    associations.delete(input.ResourceArn as string);
    return {};
  });
  ses.on(ListResourceTenantsCommand).callsFake((input: ListResourceTenantsCommandInput) => ({
    ResourceTenants: (associations.get(input.ResourceArn as string) ?? []).map((TenantName) => ({ TenantName })),
  }));
});

describe('normalizeDomain', () => {
  it('lower-cases, drops a trailing dot and turns IDNs into A-labels', () => {
    expect(normalizeDomain(' Acme.Example. ')).toBe('acme.example');
    expect(normalizeDomain('bücher.example')).toBe('xn--bcher-kva.example');
  });

  it('refuses schemes, addresses, single labels, bad labels and public mailbox providers with a fix', () => {
    for (const input of [
      'https://acme.example',
      'info@acme.example',
      'localhost',
      '-acme.example',
      'acme..example',
      'acme.123',
    ]) {
      expect(() => normalizeDomain(input), input).toThrow(expect.objectContaining({ code: 'invalid_domain' }));
    }
    expect(() => normalizeDomain('Gmail.com')).toThrow(expect.objectContaining({ code: 'public_mailbox_domain' }));
  });
});

describe('allowedRegion', () => {
  it('takes an allowed region, defaults to the first, and refuses others', () => {
    expect(allowedRegion(undefined, ['eu-west-1', 'us-east-1'])).toBe('eu-west-1');
    expect(allowedRegion('us-east-1', ['eu-west-1', 'us-east-1'])).toBe('us-east-1');
    expect(() => allowedRegion('ap-south-1', ['eu-west-1'])).toThrow(
      expect.objectContaining({ code: 'region_not_allowed' }),
    );
  });
});

describe('addDomain', () => {
  it('sets the domain up at SES (tenant, Easy DKIM 2048, MAIL FROM, associations) and answers its records', async () => {
    const { created, domain } = await addDomain(deps(), 'tenant-a', { domain: 'Acme.example' });

    expect(created).toBe(true);
    expect(ses.commandCalls(CreateTenantCommand)[0]?.args[0].input).toEqual({
      TenantName: 'ei-tenant-a',
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'], SuppressionScope: 'TENANT' },
    });
    expect(ses.commandCalls(UpdateReputationEntityPolicyCommand)[0]?.args[0].input).toEqual({
      ReputationEntityType: 'RESOURCE',
      ReputationEntityReference: TENANT_ARN,
      ReputationEntityPolicy: 'arn:aws:ses:eu-west-1:aws:reputation-policy/standard',
    });
    expect(ses.commandCalls(CreateEmailIdentityCommand)[0]?.args[0].input).toEqual({
      EmailIdentity: 'acme.example',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      // The tag the provider's own resume recognises: one onboarding, not two.
      Tags: [{ Key: 'email-integrations:tenant', Value: 'ei-tenant-a' }],
      ConfigurationSetName: 'email-integrations',
    });
    expect(ses.commandCalls(PutEmailIdentityMailFromAttributesCommand)[0]?.args[0].input).toEqual({
      EmailIdentity: 'acme.example',
      MailFromDomain: 'bounce.acme.example',
      BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
    });
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand).map((call) => call.args[0].input)).toEqual([
      { TenantName: 'ei-tenant-a', ResourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/acme.example' },
      {
        TenantName: 'ei-tenant-a',
        ResourceArn: 'arn:aws:ses:eu-west-1:123456789012:configuration-set/email-integrations',
      },
    ]);
    expect(domain).toEqual({
      domain: 'acme.example',
      region: 'eu-west-1',
      status: 'pending',
      createdAt: '2026-01-01T00:00:00.000Z',
      // The scheduled checker looks again in 10 minutes.
      nextCheckAt: '2026-01-01T00:10:00.000Z',
      records: [
        ...TOKENS.map((token) => ({
          purpose: 'dkim',
          type: 'CNAME',
          name: `${token}._domainkey.acme.example`,
          value: `${token}.dkim.amazonses.com`,
          status: 'not_checked',
        })),
        {
          purpose: 'mail_from_mx',
          type: 'MX',
          name: 'bounce.acme.example',
          value: '10 feedback-smtp.eu-west-1.amazonses.com',
          status: 'not_checked',
        },
        {
          purpose: 'mail_from_spf',
          type: 'TXT',
          name: 'bounce.acme.example',
          value: 'v=spf1 include:amazonses.com ~all',
          status: 'not_checked',
        },
        {
          purpose: 'dmarc',
          type: 'TXT',
          name: '_dmarc.acme.example',
          value: 'v=DMARC1; p=none;',
          status: 'not_checked',
        },
      ],
    });
  });

  it('resumes a half-done set-up when called again: everything that exists is kept, and it answers 200', async () => {
    await addDomain(deps(), 'tenant-a', { domain: 'acme.example' });
    ses.on(CreateTenantCommand).rejects(new AlreadyExistsException({ message: 'exists', ...meta }));
    ses.on(CreateEmailIdentityCommand).rejects(new AlreadyExistsException({ message: 'exists', ...meta }));
    ses.on(CreateTenantResourceAssociationCommand).rejects(new AlreadyExistsException({ message: 'exists', ...meta }));

    const again = await addDomain(deps(), 'tenant-a', { domain: 'acme.example', region: 'us-east-1' });

    expect(again.created).toBe(false);
    expect(again.domain.region).toBe('eu-west-1');
    expect(await listDomains(deps(), 'tenant-a')).toHaveLength(1);
  });

  it('refuses a domain another tenant holds without naming it, and calls SES for nothing', async () => {
    await addDomain(deps(), 'tenant-a', { domain: 'acme.example' });
    ses.resetHistory();

    const refused = addDomain(deps(), 'tenant-b', { domain: 'ACME.example' });

    await expect(refused).rejects.toMatchObject({ code: 'domain_unavailable' });
    await expect(refused).rejects.not.toThrow(/tenant-a/);
    expect(ses.calls()).toHaveLength(0);
  });

  it('refuses an eleventh domain', async () => {
    for (let index = 0; index < 10; index += 1) await addDomain(deps(), 'tenant-a', { domain: `d${index}.example` });

    await expect(addDomain(deps(), 'tenant-a', { domain: 'd10.example' })).rejects.toMatchObject({
      code: 'domain_limit_reached',
    });
  });
});

describe('checkDomain', () => {
  it('stores SES’s verdict and our DNS look-up of each record, and hides the DMARC suggestion once a policy exists', async () => {
    await addDomain(deps(), 'tenant-a', { domain: 'acme.example' });
    ses.on(GetEmailIdentityCommand).resolves(verified);
    dnsAnswer = (record) => (record.purpose === 'mail_from_spf' ? 'wrong_value' : 'found');

    const checked = await checkDomain(deps(), 'tenant-a', 'acme.example');

    expect(checked).toMatchObject({
      status: 'verified',
      verifiedAt: '2026-01-01T00:00:00.000Z',
      lastCheckedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(checked.records.map((record) => [record.purpose, record.status])).toEqual([
      ['dkim', 'found'],
      ['dkim', 'found'],
      ['dkim', 'found'],
      ['mail_from_mx', 'found'],
      ['mail_from_spf', 'wrong_value'],
    ]);
  });

  it('answers domain_not_found for a domain of another tenant', async () => {
    await addDomain(deps(), 'tenant-a', { domain: 'acme.example' });
    await expect(checkDomain(deps(), 'tenant-b', 'acme.example')).rejects.toMatchObject({ code: 'domain_not_found' });
  });
});

describe('activateSes', () => {
  it('switches the tenant to SES with senders at its verified domains', async () => {
    await addDomain(deps(), 'tenant-a', { domain: 'acme.example' });
    ses.on(GetEmailIdentityCommand).resolves(verified);

    const card = await activateSes(deps(), 'tenant-a', { emails: ['Info@acme.example'] });

    expect(card).toMatchObject({
      provider: 'ses',
      region: 'eu-west-1',
      keyId: 'ei-tenant-a',
      emails: ['info@acme.example'],
      status: 'active',
    });
  });

  it('refuses senders at a domain that is not verified, or not the tenant’s', async () => {
    await addDomain(deps(), 'tenant-a', { domain: 'acme.example' });

    await expect(activateSes(deps(), 'tenant-a', { emails: ['info@acme.example'] })).rejects.toMatchObject({
      code: 'sender_not_authenticated',
    });
    ses.on(GetEmailIdentityCommand).resolves(verified);
    await expect(activateSes(deps(), 'tenant-b', { emails: ['info@acme.example'] })).rejects.toMatchObject({
      code: 'sender_not_authenticated',
    });
    expect(integration).toBeUndefined();
  });
});

describe('removeDomain', () => {
  it('refuses while a registered SES sender is at the domain, then removes it and frees the claim', async () => {
    await addDomain(deps(), 'tenant-a', { domain: 'acme.example' });
    ses.on(GetEmailIdentityCommand).resolves(verified);
    await activateSes(deps(), 'tenant-a', { emails: ['info@acme.example'] });

    await expect(removeDomain(deps(), 'tenant-a', 'acme.example')).rejects.toMatchObject({ code: 'domain_in_use' });

    integration = { ...(integration as IntegrationRecord), provider: 'sendgrid' };
    await removeDomain(deps(), 'tenant-a', 'acme.example');
    expect(ses.commandCalls(DeleteTenantResourceAssociationCommand)).toHaveLength(1);
    expect(ses.commandCalls(DeleteEmailIdentityCommand)[0]?.args[0].input).toEqual({ EmailIdentity: 'acme.example' });
    expect(await listDomains(deps(), 'tenant-a')).toEqual([]);
    expect((await addDomain(deps(), 'tenant-b', { domain: 'acme.example' })).created).toBe(true);
  });
});
