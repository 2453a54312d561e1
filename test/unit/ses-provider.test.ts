import {
  AccountSuspendedException,
  AlreadyExistsException,
  BadRequestException,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  GetTenantCommand,
  InternalServiceErrorException,
  ListEmailIdentitiesCommand,
  ListResourceTenantsCommand,
  ListTenantResourcesCommand,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
  UpdateReputationEntityPolicyCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readOurTags } from '../../shared/providers/ses/ses-message-tags.js';
import { classifySesError, SesProvider, sesTenantName } from '../../shared/providers/ses/ses-provider.js';

const ses = mockClient(SESv2Client);
const meta = { $metadata: {} };
const arnPrefix = 'arn:aws:ses:eu-west-1:123456789012:';
const TENANT_ARN = `${arnPrefix}tenant/ei-tenant-a/tn-1`;
const identity = (name: string) => ({
  ResourceType: 'EMAIL_IDENTITY' as const,
  ResourceArn: `${arnPrefix}identity/${name}`,
});

beforeEach(() => ses.reset());

describe('SesProvider', () => {
  it('offers only the domain identities of the tenant’s own SES tenant that are verified with DKIM, across pages', async () => {
    ses
      .on(ListTenantResourcesCommand)
      .resolvesOnce({ TenantResources: [identity('Acme.example')], NextToken: 'p2' })
      .resolvesOnce({
        TenantResources: [
          identity('old.acme.example'),
          identity('someone@acme.example'),
          { ResourceType: 'CONFIGURATION_SET', ResourceArn: `${arnPrefix}configuration-set/main` },
        ],
      });
    ses
      .on(GetEmailIdentityCommand, { EmailIdentity: 'acme.example' })
      .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' } });
    ses
      .on(GetEmailIdentityCommand, { EmailIdentity: 'old.acme.example' })
      .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'FAILED' } });

    const domains = await new SesProvider().senderDomains({ region: 'eu-west-1', tenantId: 'tenant-a' });

    expect(domains).toEqual([
      { domain: 'acme.example', valid: true },
      { domain: 'old.acme.example', valid: false },
    ]);
    const listed = ses.commandCalls(ListTenantResourcesCommand).map((call) => call.args[0].input);
    expect(listed[0]).toEqual({
      TenantName: 'ei-tenant-a',
      Filter: { RESOURCE_TYPE: 'EMAIL_IDENTITY' },
      PageSize: 100,
    });
    expect(listed[1]?.NextToken).toBe('p2');
    expect(ses.commandCalls(ListEmailIdentitiesCommand)).toHaveLength(0);
  });

  it('offers no domains to a tenant that has no SES tenant', async () => {
    ses.on(ListTenantResourcesCommand).rejects(new NotFoundException({ message: 'no such tenant', ...meta }));

    expect(await new SesProvider().senderDomains({ region: 'eu-west-1', tenantId: 'tenant-new' })).toEqual([]);
  });

  it('reports SES failing while listing as upstream_unavailable', async () => {
    ses.on(ListTenantResourcesCommand).rejects(new TooManyRequestsException({ message: 'slow down', ...meta }));

    await expect(new SesProvider().senderDomains({ region: 'eu-west-1', tenantId: 'tenant-a' })).rejects.toMatchObject({
      code: 'upstream_unavailable',
    });
  });

  it('sends the neutral message as SendEmail under the tenant’s own SES tenant', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    const receipt = await new SesProvider().send(
      { region: 'eu-west-1', tenantId: 'tenant-a' },
      {
        from: { email: 'info@acme.example', name: 'Acmé GmbH' },
        to: [{ email: 'jane@customer.example', name: 'Jane "J" Doe' }],
        bcc: [{ email: 'audit@acme.example' }],
        replyTo: { email: 'help@acme.example' },
        subject: 'Invoice',
        text: 'Hi',
        html: '<p>Hi</p>',
        categories: ['invoice mail'],
        customArgs: { messageId: 'm-1' },
      },
    );
    expect(receipt).toEqual({ providerMessageId: 'ses-1' });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: `=?UTF-8?B?${Buffer.from('Acmé GmbH').toString('base64')}?= <info@acme.example>`,
      Destination: {
        ToAddresses: ['"Jane \\"J\\" Doe" <jane@customer.example>'],
        BccAddresses: ['audit@acme.example'],
      },
      ReplyToAddresses: ['help@acme.example'],
      Content: {
        Simple: {
          Subject: { Data: 'Invoice', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Hi', Charset: 'UTF-8' }, Html: { Data: '<p>Hi</p>', Charset: 'UTF-8' } },
        },
      },
      EmailTags: [
        { Name: 'category0', Value: 'invoice_mail' },
        { Name: 'messageId', Value: 'm-1' },
        { Name: 'ei-message-id', Value: 'm-1' },
        { Name: 'ei-tenant-id', Value: 'tenant-a' },
      ],
      TenantName: 'ei-tenant-a',
    });
  });

  it('creates the SES tenant and associates the sender domains, tolerating ones that exist', async () => {
    ses.on(CreateTenantCommand).rejects(new AlreadyExistsException({ message: 'exists', ...meta }));
    ses.on(GetTenantCommand).resolves({ Tenant: { TenantName: 'ei-tenant-a', TenantArn: TENANT_ARN } });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses
      .on(CreateTenantResourceAssociationCommand)
      .rejectsOnce(new AlreadyExistsException({ message: 'exists', ...meta }))
      .resolves({});

    const name = await new SesProvider({ accountId: '123456789012' }).adoption.adopt(
      { region: 'eu-west-1', tenantId: 'tenant-a' },
      ['acme.example', 'Acme.example', 'news.acme.example'],
    );

    expect(name).toBe('ei-tenant-a');
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand).map((call) => call.args[0].input)).toEqual([
      { TenantName: 'ei-tenant-a', ResourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/acme.example' },
      { TenantName: 'ei-tenant-a', ResourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/news.acme.example' },
    ]);
  });

  it('names the configuration set on every send along with the tenant', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-2' });
    await new SesProvider({ configurationSet: 'email-integrations' }).send(
      { region: 'eu-west-1', tenantId: 'tenant-a' },
      { from: { email: 'info@acme.example' }, to: [{ email: 'jane@customer.example' }], subject: 'Hi', text: 'Hi' },
    );
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toMatchObject({
      TenantName: 'ei-tenant-a',
      ConfigurationSetName: 'email-integrations',
    });
  });

  it('turns every character a message tag does not allow, dots included, into an underscore', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-3' });
    await new SesProvider().send(
      { region: 'eu-west-1', tenantId: 'tenant-a' },
      {
        from: { email: 'info@acme.example' },
        to: [{ email: 'jane@customer.example' }],
        subject: 'Hi',
        text: 'Hi',
        categories: ['v1.2 news'],
        customArgs: { 'order.id': 'o.1' },
      },
    );
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.EmailTags).toEqual([
      { Name: 'category0', Value: 'v1_2_news' },
      { Name: 'order_id', Value: 'o_1' },
    ]);
  });

  it('tags every send with our messageId and tenant, losslessly, and lets no custom arg take those tags', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-4' });
    await new SesProvider().send(
      { region: 'eu-west-1', tenantId: 'tenant.a@acme' },
      {
        from: { email: 'info@acme.example' },
        to: [{ email: 'jane@customer.example' }],
        subject: 'Hi',
        text: 'Hi',
        customArgs: { 'ei-tenant-id': 'tenant-b', 'ei.message.id': 'forged', messageId: 'order.7' },
      },
    );
    const tags = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.EmailTags ?? [];
    for (const tag of tags) {
      expect(tag.Name).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
      expect(tag.Value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    }
    expect(tags.filter((tag) => tag.Name?.startsWith('ei-'))).toHaveLength(2);
    expect(readOurTags(Object.fromEntries(tags.map((tag) => [tag.Name ?? '', [tag.Value ?? '']])))).toEqual({
      tenantId: 'tenant.a@acme',
      messageId: 'order.7',
    });
  });

  it('associates the configuration set with the SES tenant along with its domains', async () => {
    ses.on(CreateTenantCommand).resolves({});
    ses.on(GetTenantCommand).resolves({ Tenant: { TenantName: 'ei-tenant-a', TenantArn: TENANT_ARN } });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).resolves({});

    await new SesProvider({ accountId: '123456789012', configurationSet: 'email-integrations' }).adoption.adopt(
      { region: 'eu-west-1', tenantId: 'tenant-a' },
      ['acme.example'],
    );

    expect(ses.commandCalls(CreateTenantResourceAssociationCommand).map((call) => call.args[0].input)).toEqual([
      { TenantName: 'ei-tenant-a', ResourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/acme.example' },
      {
        TenantName: 'ei-tenant-a',
        ResourceArn: 'arn:aws:ses:eu-west-1:123456789012:configuration-set/email-integrations',
      },
    ]);
  });

  it('sets the SES tenant up for migrate as onboarding does: tenant-level suppression and the standard reputation policy', async () => {
    ses.on(CreateTenantCommand).resolves({ TenantName: 'ei-tenant-a', TenantArn: TENANT_ARN });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).resolves({});

    await new SesProvider({ accountId: '123456789012', configurationSet: 'email-integrations' }).adoption.adopt(
      { region: 'eu-west-1', tenantId: 'tenant-a' },
      ['acme.example'],
    );

    expect(ses.commandCalls(CreateTenantCommand)[0]?.args[0].input).toEqual({
      TenantName: 'ei-tenant-a',
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'], SuppressionScope: 'TENANT' },
    });
    expect(ses.commandCalls(UpdateReputationEntityPolicyCommand)[0]?.args[0].input).toEqual({
      ReputationEntityType: 'RESOURCE',
      ReputationEntityReference: TENANT_ARN,
      ReputationEntityPolicy: 'arn:aws:ses:eu-west-1:aws:reputation-policy/standard',
    });
  });

  it('lets a tenant adopt only verified domains that no other SES tenant holds', async () => {
    ses.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' } });
    ses
      .on(GetEmailIdentityCommand, { EmailIdentity: 'unverified.example' })
      .resolves({ VerifiedForSendingStatus: false, DkimAttributes: { Status: 'PENDING' } });
    ses
      .on(GetEmailIdentityCommand, { EmailIdentity: 'unknown.example' })
      .rejects(new NotFoundException({ message: 'no identity', ...meta }));
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [] });
    ses
      .on(ListResourceTenantsCommand, { ResourceArn: `${arnPrefix}identity/acme.example` })
      .resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
    ses
      .on(ListResourceTenantsCommand, { ResourceArn: `${arnPrefix}identity/shared.example` })
      .resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-b' }] });

    const domains = await new SesProvider({ accountId: '123456789012' }).adoption.adoptable(
      { region: 'eu-west-1', tenantId: 'tenant-b' },
      ['acme.example', 'shared.example', 'free.example', 'unverified.example', 'unknown.example'],
    );

    expect(domains).toEqual([
      { domain: 'acme.example', valid: false },
      { domain: 'shared.example', valid: true },
      { domain: 'free.example', valid: true },
      { domain: 'unverified.example', valid: false },
      { domain: 'unknown.example', valid: false },
    ]);
  });

  it('names SES tenants uniquely even for ids SES would not accept', () => {
    expect(sesTenantName('a/b')).not.toBe(sesTenantName('a:b'));
    expect(sesTenantName('x'.repeat(100))).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });
});

describe('SesProvider.tenantIdOf', () => {
  it('finds the tenant of a hashed name by its tag, only when that tenant’s name is this one', async () => {
    const dotted = sesTenantName('acme.corp');
    ses.on(GetTenantCommand, { TenantName: dotted }).resolves({
      Tenant: { TenantName: dotted, Tags: [{ Key: 'email-integrations:tenant-id', Value: 'acme.corp' }] },
    });
    const forged = sesTenantName('globex.corp');
    ses.on(GetTenantCommand, { TenantName: forged }).resolves({
      Tenant: { TenantName: forged, Tags: [{ Key: 'email-integrations:tenant-id', Value: 'acme.corp' }] },
    });
    const provider = new SesProvider();
    expect(await provider.tenantIdOf('eu-west-1', dotted)).toBe('acme.corp');
    expect(await provider.tenantIdOf('eu-west-1', forged)).toBeUndefined();
  });

  it('maps names that are none of ours, and tenants SES does not know, to no tenant', async () => {
    ses.on(GetTenantCommand).rejects(new NotFoundException({ message: 'no such tenant', ...meta }));
    const provider = new SesProvider();
    expect(await provider.tenantIdOf('eu-west-1', 'someone-else')).toBeUndefined();
    expect(ses.commandCalls(GetTenantCommand)).toHaveLength(0);
    expect(await provider.tenantIdOf('eu-west-1', sesTenantName('a.b'))).toBeUndefined();
  });

  it('tags a new SES tenant with its tenant id only when its name is hashed', async () => {
    ses.on(CreateTenantCommand).resolves({ TenantArn: TENANT_ARN });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).resolves({});
    const provider = new SesProvider({ accountId: '123456789012' });
    await provider.adoption.adopt({ region: 'eu-west-1', tenantId: 'acme.corp' }, ['acme.example']);
    await provider.adoption.adopt({ region: 'eu-west-1', tenantId: 'tenant-a' }, ['acme.example']);
    expect(ses.commandCalls(CreateTenantCommand).map((call) => call.args[0].input.Tags)).toEqual([
      [{ Key: 'email-integrations:tenant-id', Value: 'acme.corp' }],
      undefined,
    ]);
  });
});

describe('SesProvider.sendingPaused', () => {
  it.each([
    ['DISABLED', true],
    ['ENABLED', false],
    ['REINSTATED', false],
  ] as const)('reads SendingStatus %s of the tenant’s own SES tenant as paused: %s', async (status, paused) => {
    ses.on(GetTenantCommand, { TenantName: 'ei-tenant-a' }).resolves({ Tenant: { SendingStatus: status } });
    expect(await new SesProvider().sendingPaused({ region: 'eu-west-1', tenantId: 'tenant-a' })).toBe(paused);
  });

  it('counts a tenant without an SES tenant as not paused, and reports SES failing as upstream_unavailable', async () => {
    ses.on(GetTenantCommand).rejectsOnce(new NotFoundException({ message: 'no', ...meta }));
    const provider = new SesProvider();
    expect(await provider.sendingPaused({ region: 'eu-west-1', tenantId: 'tenant-a' })).toBe(false);
    ses.on(GetTenantCommand).rejects(new TooManyRequestsException({ message: 'slow', ...meta }));
    await expect(provider.sendingPaused({ region: 'eu-west-1', tenantId: 'tenant-a' })).rejects.toMatchObject({
      code: 'upstream_unavailable',
    });
  });
});

describe('classifySesError', () => {
  it.each([
    ['an invalid message', new BadRequestException({ message: 'Missing subject', ...meta }), 'message_rejected'],
    [
      'an unverified from',
      new MessageRejected({ message: 'Email address is not verified.', ...meta }),
      'sender_rejected',
    ],
    [
      'an unverified MAIL FROM domain',
      new MailFromDomainNotVerifiedException({ message: 'x', ...meta }),
      'sender_rejected',
    ],
    ['a suspended account', new AccountSuspendedException({ message: 'suspended', ...meta }), 'key_rejected'],
    ['a paused tenant or account', new SendingPausedException({ message: 'paused', ...meta }), 'sending_paused'],
    ['throttling', new TooManyRequestsException({ message: 'slow down', ...meta }), 'throttled'],
    ['an SES outage', new InternalServiceErrorException({ message: 'oops', ...meta }), 'transient'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'transient'],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'outcome_unknown'],
  ])('classifies %s', (_name, error, failureClass) => {
    expect(classifySesError(error).failureClass).toBe(failureClass);
  });
});
