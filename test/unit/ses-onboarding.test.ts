import {
  AlreadyExistsException,
  CreateEmailIdentityCommand,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  GetTenantCommand,
  ListResourceTenantsCommand,
  PutEmailIdentityMailFromAttributesCommand,
  SESv2Client,
  UpdateReputationEntityPolicyCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainUnavailableError } from '../../shared/providers/email-provider.js';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';

const ses = mockClient(SESv2Client);
const meta = { $metadata: {} };
const account = { region: 'eu-west-1', tenantId: 'tenant-a' };
const arn = (resource: string) => `arn:aws:ses:eu-west-1:123456789012:${resource}`;
const tenantArn = 'arn:aws:ses:eu-west-1:123456789012:tenant/ei-tenant-a/tn-0123';
const pendingIdentity = {
  IdentityType: 'DOMAIN' as const,
  VerifiedForSendingStatus: false,
  VerificationStatus: 'PENDING' as const,
  DkimAttributes: { Status: 'PENDING' as const, Tokens: ['tok1', 'tok2', 'tok3'] },
  MailFromAttributes: {
    MailFromDomain: 'bounce.acme.example',
    MailFromDomainStatus: 'PENDING' as const,
    BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' as const,
  },
};
const onboarding = () => new SesProvider({ accountId: '123456789012', configurationSet: 'cs-main' }).onboarding;

afterEach(() => ses.reset());

describe('SesDomainOnboarding.start', () => {
  it('sets a new domain up for the tenant and answers the records to publish', async () => {
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [] });
    ses.on(CreateTenantCommand).resolves({ TenantName: 'ei-tenant-a', TenantArn: tenantArn });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateEmailIdentityCommand).resolves({ IdentityType: 'DOMAIN' });
    ses.on(PutEmailIdentityMailFromAttributesCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).resolves({});
    ses.on(GetEmailIdentityCommand).resolves(pendingIdentity);

    const domain = await onboarding().start(account, 'Acme.example');

    expect(ses.commandCalls(CreateTenantCommand)[0]?.args[0].input).toEqual({
      TenantName: 'ei-tenant-a',
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'], SuppressionScope: 'TENANT' },
    });
    expect(ses.commandCalls(UpdateReputationEntityPolicyCommand)[0]?.args[0].input).toEqual({
      ReputationEntityType: 'RESOURCE',
      ReputationEntityReference: tenantArn,
      ReputationEntityPolicy: 'arn:aws:ses:eu-west-1:aws:reputation-policy/standard',
    });
    expect(ses.commandCalls(CreateEmailIdentityCommand)[0]?.args[0].input).toEqual({
      EmailIdentity: 'acme.example',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      Tags: [{ Key: 'email-integrations:tenant', Value: 'ei-tenant-a' }],
      ConfigurationSetName: 'cs-main',
    });
    expect(ses.commandCalls(PutEmailIdentityMailFromAttributesCommand)[0]?.args[0].input).toEqual({
      EmailIdentity: 'acme.example',
      MailFromDomain: 'bounce.acme.example',
      BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
    });
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand).map((call) => call.args[0].input)).toEqual([
      { TenantName: 'ei-tenant-a', ResourceArn: arn('identity/acme.example') },
      { TenantName: 'ei-tenant-a', ResourceArn: arn('configuration-set/cs-main') },
    ]);
    expect(domain).toEqual({
      domain: 'acme.example',
      region: 'eu-west-1',
      status: 'pending',
      mailFrom: { domain: 'bounce.acme.example', status: 'pending' },
      records: [
        { purpose: 'dkim', type: 'CNAME', name: 'tok1._domainkey.acme.example', value: 'tok1.dkim.amazonses.com' },
        { purpose: 'dkim', type: 'CNAME', name: 'tok2._domainkey.acme.example', value: 'tok2.dkim.amazonses.com' },
        { purpose: 'dkim', type: 'CNAME', name: 'tok3._domainkey.acme.example', value: 'tok3.dkim.amazonses.com' },
        {
          purpose: 'mail_from_mx',
          type: 'MX',
          name: 'bounce.acme.example',
          value: '10 feedback-smtp.eu-west-1.amazonses.com',
        },
        {
          purpose: 'mail_from_spf',
          type: 'TXT',
          name: 'bounce.acme.example',
          value: 'v=spf1 include:amazonses.com ~all',
        },
      ],
    });
  });

  it('resumes a finished onboarding without error when everything exists already', async () => {
    const exists = new AlreadyExistsException({ message: 'exists', ...meta });
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
    ses.on(CreateTenantCommand).rejects(exists);
    ses.on(GetTenantCommand).resolves({ Tenant: { TenantName: 'ei-tenant-a', TenantArn: tenantArn } });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateEmailIdentityCommand).rejects(exists);
    ses.on(PutEmailIdentityMailFromAttributesCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).rejects(exists);
    ses.on(GetEmailIdentityCommand).resolves(pendingIdentity);

    const domain = await onboarding().start(account, 'acme.example');

    expect(domain.records).toHaveLength(5);
    expect(ses.commandCalls(UpdateReputationEntityPolicyCommand)[0]?.args[0].input.ReputationEntityReference).toBe(
      tenantArn,
    );
  });

  it('resumes after a crash between creating the identity and associating it, recognising its own tag', async () => {
    const exists = new AlreadyExistsException({ message: 'exists', ...meta });
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [] });
    ses.on(CreateTenantCommand).rejects(exists);
    ses.on(GetTenantCommand).resolves({ Tenant: { TenantArn: tenantArn } });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateEmailIdentityCommand).rejects(exists);
    ses.on(PutEmailIdentityMailFromAttributesCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).resolves({});
    ses
      .on(GetEmailIdentityCommand)
      .resolves({ ...pendingIdentity, Tags: [{ Key: 'email-integrations:tenant', Value: 'ei-tenant-a' }] });

    await onboarding().start(account, 'acme.example');

    expect(ses.commandCalls(CreateTenantResourceAssociationCommand)[0]?.args[0].input).toEqual({
      TenantName: 'ei-tenant-a',
      ResourceArn: arn('identity/acme.example'),
    });
  });

  it('refuses a domain another tenant holds, creating nothing', async () => {
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-b' }] });

    await expect(onboarding().start(account, 'acme.example')).rejects.toBeInstanceOf(DomainUnavailableError);
    expect(ses.commandCalls(CreateTenantCommand)).toHaveLength(0);
    expect(ses.commandCalls(CreateEmailIdentityCommand)).toHaveLength(0);
  });

  it('refuses an identity that exists but was not created for this tenant, associating nothing', async () => {
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [] });
    ses.on(CreateTenantCommand).resolves({ TenantArn: tenantArn });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateEmailIdentityCommand).rejects(new AlreadyExistsException({ message: 'exists', ...meta }));
    ses.on(GetEmailIdentityCommand).resolves({ ...pendingIdentity, Tags: [] });

    await expect(onboarding().start(account, 'acme.example')).rejects.toMatchObject({ code: 'domain_unavailable' });
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand)).toHaveLength(0);
  });
});

describe('SesDomainOnboarding.status', () => {
  it.each([
    ['verified', { VerificationStatus: 'SUCCESS', VerifiedForSendingStatus: true }],
    ['pending', { VerificationStatus: 'SUCCESS', VerifiedForSendingStatus: false }],
    ['failed', { VerificationStatus: 'FAILED', VerifiedForSendingStatus: false }],
    ['temporary_failure', { VerificationStatus: 'TEMPORARY_FAILURE', VerifiedForSendingStatus: false }],
    ['pending', { VerificationStatus: 'NOT_STARTED', VerifiedForSendingStatus: false }],
  ] as const)('reports %s for %o', async (status, verdict) => {
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
    ses.on(GetEmailIdentityCommand).resolves({ ...pendingIdentity, ...verdict });

    expect((await onboarding().status(account, 'acme.example'))?.status).toBe(status);
  });

  it('names the DKIM targets in the identity’s signing zone and reports the MAIL FROM verdict', async () => {
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
    ses.on(GetEmailIdentityCommand).resolves({
      ...pendingIdentity,
      DkimAttributes: { Status: 'SUCCESS', Tokens: ['t1'], SigningHostedZone: 'dkim.eu-west-1.example' },
      MailFromAttributes: { ...pendingIdentity.MailFromAttributes, MailFromDomainStatus: 'SUCCESS' },
    });

    const domain = await onboarding().status(account, 'acme.example');

    expect(domain?.records[0]).toEqual({
      purpose: 'dkim',
      type: 'CNAME',
      name: 't1._domainkey.acme.example',
      value: 't1.dkim.eu-west-1.example',
    });
    expect(domain?.mailFrom).toEqual({ domain: 'bounce.acme.example', status: 'verified' });
  });

  it('answers nothing for a domain that is not the tenant’s', async () => {
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-b' }] });

    expect(await onboarding().status(account, 'acme.example')).toBeUndefined();
    expect(ses.commandCalls(GetEmailIdentityCommand)).toHaveLength(0);
  });
});
