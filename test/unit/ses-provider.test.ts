import {
  AccountSuspendedException,
  BadRequestException,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  InternalServiceErrorException,
  ListEmailIdentitiesCommand,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SESv2Client,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { classifySesError, SesProvider, sesTenantName } from '../../shared/providers/ses/ses-provider.js';

const ses = mockClient(SESv2Client);
const meta = { $metadata: {} };

beforeEach(() => ses.reset());

describe('SesProvider', () => {
  it('offers only domain identities that are verified for sending with DKIM, across pages', async () => {
    ses
      .on(ListEmailIdentitiesCommand)
      .resolvesOnce({ EmailIdentities: [{ IdentityType: 'DOMAIN', IdentityName: 'Acme.example' }], NextToken: 'p2' })
      .resolvesOnce({
        EmailIdentities: [
          { IdentityType: 'DOMAIN', IdentityName: 'old.acme.example' },
          { IdentityType: 'EMAIL_ADDRESS', IdentityName: 'someone@acme.example' },
        ],
      });
    ses
      .on(GetEmailIdentityCommand, { EmailIdentity: 'acme.example' })
      .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' } });
    ses
      .on(GetEmailIdentityCommand, { EmailIdentity: 'old.acme.example' })
      .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'FAILED' } });
    expect(await new SesProvider().listSenderDomains('eu-west-1')).toEqual([
      { domain: 'acme.example', valid: true },
      { domain: 'old.acme.example', valid: false },
    ]);
    expect(ses.commandCalls(ListEmailIdentitiesCommand)[1]?.args[0].input.NextToken).toBe('p2');
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
      ],
      TenantName: 'ei-tenant-a',
    });
  });

  it('creates the SES tenant and associates the sender domains, tolerating ones that exist', async () => {
    ses.on(CreateTenantCommand).resolves({});
    ses.on(CreateTenantResourceAssociationCommand).resolves({});
    const name = await new SesProvider({ accountId: '123456789012' }).prepareTenant('eu-west-1', 'tenant-a', [
      'acme.example',
      'acme.example',
    ]);
    expect(name).toBe('ei-tenant-a');
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand).map((call) => call.args[0].input)).toEqual([
      { TenantName: 'ei-tenant-a', ResourceArn: 'arn:aws:ses:eu-west-1:123456789012:identity/acme.example' },
    ]);
  });

  it('names SES tenants uniquely even for ids SES would not accept', () => {
    expect(sesTenantName('a/b')).not.toBe(sesTenantName('a:b'));
    expect(sesTenantName('x'.repeat(100))).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
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
    ['throttling', new TooManyRequestsException({ message: 'slow down', ...meta }), 'throttled'],
    ['an SES outage', new InternalServiceErrorException({ message: 'oops', ...meta }), 'transient'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'transient'],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'outcome_unknown'],
  ])('classifies %s', (_name, error, failureClass) => {
    expect(classifySesError(error).failureClass).toBe(failureClass);
  });
});
