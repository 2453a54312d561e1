import {
  AccountSuspendedException,
  AlreadyExistsException,
  BadRequestException,
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  DeleteEmailIdentityCommand,
  DeleteTenantCommand,
  GetAccountCommand,
  GetEmailIdentityCommand,
  GetTenantCommand,
  ListEmailIdentitiesCommand,
  ListResourceTenantsCommand,
  ListTenantResourcesCommand,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  PutEmailIdentityMailFromAttributesCommand,
  SESv2Client,
  SendEmailCommand,
  type SendEmailCommandInput,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalDnsServer, startDnsServer } from '../../local/dns/index.js';
import { type SesEventBridgeEvent, type SesSandbox, startSesSandbox } from '../../local/ses-sandbox/index.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
let dns: LocalDnsServer;
let sandbox: SesSandbox;
let ses: SESv2Client;
const events: SesEventBridgeEvent[] = [];

const arn = (kind: 'identity' | 'configuration-set', name: string) =>
  `arn:aws:ses:${REGION}:${ACCOUNT}:${kind}/${name}`;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

beforeAll(async () => {
  dns = await startDnsServer();
  sandbox = await startSesSandbox({
    zone: dns.zone,
    dnsServers: [dns.address],
    verificationDelayMs: 150,
    checkIntervalMs: 50,
    onEvent: (event) => {
      events.push(event);
    },
  });
  ses = new SESv2Client({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  ses?.destroy();
  await sandbox?.close();
  await dns?.close();
});
beforeEach(async () => {
  await control('POST', '/reset');
  events.length = 0;
});

/** Calls the sandbox's control API over HTTP, as a person or the console would. */
async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}/__ses${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Waits until `check` passes (the sandbox verifies in the background). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in time: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const identityStatus = (domain: string) => ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));

/** A tenant with a verified domain identity and a configuration set (with an EventBridge destination), all associated. */
async function onboard(tenant: string, domain: string, configurationSet = `cs-${tenant}`): Promise<void> {
  await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: configurationSet }));
  await ses.send(
    new CreateConfigurationSetEventDestinationCommand({
      ConfigurationSetName: configurationSet,
      EventDestinationName: 'to-eventbridge',
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['SEND', 'DELIVERY', 'BOUNCE', 'COMPLAINT', 'DELIVERY_DELAY'],
        EventBridgeDestination: { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
      },
    }),
  );
  await ses.send(new CreateTenantCommand({ TenantName: tenant }));
  await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
  expect((await control('POST', `/dns/identities/${domain}`)).status).toBe(201);
  await eventually(
    () => identityStatus(domain),
    (identity) => identity.VerificationStatus === 'SUCCESS',
  );
  for (const resource of [arn('identity', domain), arn('configuration-set', configurationSet)]) {
    await ses.send(new CreateTenantResourceAssociationCommand({ TenantName: tenant, ResourceArn: resource }));
  }
}

const simpleMail = (from: string, to: string[], extra: Partial<SendEmailCommandInput> = {}): SendEmailCommandInput => ({
  FromEmailAddress: from,
  Destination: { ToAddresses: to },
  Content: { Simple: { Subject: { Data: 'Welcome' }, Body: { Text: { Data: 'Hello' } } } },
  ...extra,
});

describe('SES sandbox', () => {
  it('verifies a domain once its three DKIM CNAMEs resolve through the local DNS server', async () => {
    const created = await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'acme.example' }));
    expect(created).toMatchObject({
      IdentityType: 'DOMAIN',
      VerifiedForSendingStatus: false,
      DkimAttributes: { Status: 'PENDING', NextSigningKeyLength: 'RSA_2048_BIT', SigningAttributesOrigin: 'AWS_SES' },
    });
    const tokens = created.DkimAttributes?.Tokens ?? [];
    expect(tokens).toHaveLength(3);

    for (const token of tokens.slice(0, 2)) {
      await control('POST', '/dns', {
        type: 'CNAME',
        name: `${token}._domainkey.acme.example`,
        value: `${token}.dkim.amazonses.com`,
      });
    }
    await sandbox.checkNow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await identityStatus('acme.example')).toMatchObject({
      VerificationStatus: 'PENDING',
      VerificationInfo: { ErrorType: 'HOST_NOT_FOUND' },
    });

    await control('POST', '/dns', {
      type: 'CNAME',
      name: `${tokens[2]}._domainkey.acme.example`,
      value: `${tokens[2]}.dkim.amazonses.com`,
    });
    const verified = await eventually(
      () => identityStatus('acme.example'),
      (identity) => identity.VerificationStatus === 'SUCCESS',
    );
    expect(verified).toMatchObject({
      VerifiedForSendingStatus: true,
      DkimAttributes: { Status: 'SUCCESS', Tokens: tokens },
    });
    expect(verified.VerificationInfo?.LastSuccessTimestamp).toBeInstanceOf(Date);
  });

  it('reports TEMPORARY_FAILURE after the DKIM records of a verified domain are removed', async () => {
    await onboard('acme', 'acme.example');
    await control('DELETE', '/dns', { type: 'CNAME' });
    const broken = await eventually(
      () => identityStatus('acme.example'),
      (identity) => identity.VerificationStatus === 'TEMPORARY_FAILURE',
    );
    expect(broken).toMatchObject({
      DkimAttributes: { Status: 'TEMPORARY_FAILURE' },
      VerificationInfo: { ErrorType: 'HOST_NOT_FOUND' },
    });
  });

  it('sends under a tenant and records the message with its tenant, configuration set and tags', async () => {
    await onboard('acme', 'acme.example');
    const sent = await ses.send(
      new SendEmailCommand(
        simpleMail('"Acme" <info@acme.example>', ['jane@customer.example'], {
          TenantName: 'acme',
          ConfigurationSetName: 'cs-acme',
          EmailTags: [{ Name: 'messageId', Value: 'welcome-42' }],
        }),
      ),
    );
    expect(sent.MessageId).toMatch(/^0107[0-9a-f]+-/);
    const { body } = await control('GET', '/messages');
    expect(body.messages).toEqual([
      expect.objectContaining({
        messageId: sent.MessageId,
        from: 'info@acme.example',
        identity: 'acme.example',
        tenantName: 'acme',
        configurationSetName: 'cs-acme',
        tags: { messageId: 'welcome-42' },
        destination: { to: ['jane@customer.example'], cc: [], bcc: [] },
        subject: 'Welcome',
      }),
    ]);
  });

  it('refuses a send from an identity associated with another tenant', async () => {
    await onboard('acme', 'acme.example');
    await onboard('globex', 'globex.example');
    const attempt = ses.send(
      new SendEmailCommand(
        simpleMail('info@acme.example', ['jane@customer.example'], {
          TenantName: 'globex',
          ConfigurationSetName: 'cs-globex',
        }),
      ),
    );
    await expect(attempt).rejects.toBeInstanceOf(MessageRejected);
    await expect(attempt).rejects.toThrow('Email identity acme.example is not associated with tenant globex.');
    expect((await control('GET', '/messages')).body.messages).toEqual([]);
  });

  it('refuses a send under a tenant with a configuration set of another tenant', async () => {
    await onboard('acme', 'acme.example');
    await onboard('globex', 'globex.example');
    const attempt = ses.send(
      new SendEmailCommand(
        simpleMail('info@acme.example', ['jane@customer.example'], {
          TenantName: 'acme',
          ConfigurationSetName: 'cs-globex',
        }),
      ),
    );
    await expect(attempt).rejects.toThrow('Configuration set cs-globex is not associated with tenant acme.');
  });

  it('refuses a send from an unverified domain as SES words it', async () => {
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'pending.example' }));
    const attempt = ses.send(new SendEmailCommand(simpleMail('info@pending.example', ['jane@customer.example'])));
    await expect(attempt).rejects.toBeInstanceOf(MessageRejected);
    await expect(attempt).rejects.toThrow(
      'Email address is not verified. The following identities failed the check in region EU-WEST-1: info@pending.example',
    );
  });

  it('answers NotFoundException for an unknown tenant or configuration set', async () => {
    await onboard('acme', 'acme.example');
    await expect(ses.send(new GetTenantCommand({ TenantName: 'nobody' }))).rejects.toBeInstanceOf(NotFoundException);
    const unknownSet = ses.send(
      new SendEmailCommand(simpleMail('info@acme.example', ['a@b.example'], { ConfigurationSetName: 'nope' })),
    );
    await expect(unknownSet).rejects.toBeInstanceOf(NotFoundException);
    await expect(unknownSet).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('answers AlreadyExistsException for a second tenant or identity of the same name', async () => {
    await ses.send(new CreateTenantCommand({ TenantName: 'acme' }));
    await expect(ses.send(new CreateTenantCommand({ TenantName: 'acme' }))).rejects.toBeInstanceOf(
      AlreadyExistsException,
    );
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'acme.example' }));
    await expect(ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'ACME.example' }))).rejects.toBeInstanceOf(
      AlreadyExistsException,
    );
  });

  it('answers BadRequestException naming the member a request breaks in the model', async () => {
    const attempt = ses.send(
      new CreateTenantResourceAssociationCommand({ TenantName: '', ResourceArn: arn('identity', 'x.example') }),
    );
    await expect(attempt).rejects.toBeInstanceOf(BadRequestException);
    await expect(attempt).rejects.toThrow(
      "1 validation error detected: Value at 'TenantName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    await expect(ses.send(new CreateTenantCommand({ TenantName: 'no spaces allowed' }))).rejects.toBeInstanceOf(
      BadRequestException,
    );
  });

  it('requires the custom MAIL FROM MX when the identity rejects mail without it', async () => {
    await onboard('acme', 'acme.example');
    await ses.send(
      new PutEmailIdentityMailFromAttributesCommand({
        EmailIdentity: 'acme.example',
        MailFromDomain: 'bounce.acme.example',
        BehaviorOnMxFailure: 'REJECT_MESSAGE',
      }),
    );
    const mail = simpleMail('info@acme.example', ['jane@customer.example'], {
      TenantName: 'acme',
      ConfigurationSetName: 'cs-acme',
    });
    await expect(ses.send(new SendEmailCommand(mail))).rejects.toBeInstanceOf(MailFromDomainNotVerifiedException);

    const { body } = await control('POST', '/dns/identities/acme.example');
    expect(body.records).toContainEqual(
      expect.objectContaining({
        type: 'MX',
        name: 'bounce.acme.example',
        value: `10 feedback-smtp.${REGION}.amazonses.com`,
      }),
    );
    await eventually(
      () => identityStatus('acme.example'),
      (identity) => identity.MailFromAttributes?.MailFromDomainStatus === 'SUCCESS',
    );
    expect((await ses.send(new SendEmailCommand(mail))).MessageId).toBeDefined();
  });

  it('lists the resources of a tenant and the tenants of a resource', async () => {
    await onboard('acme', 'acme.example');
    const resources = await ses.send(
      new ListTenantResourcesCommand({ TenantName: 'acme', Filter: { RESOURCE_TYPE: 'EMAIL_IDENTITY' } }),
    );
    expect(resources.TenantResources).toEqual([
      { ResourceType: 'EMAIL_IDENTITY', ResourceArn: arn('identity', 'acme.example') },
    ]);
    const tenants = await ses.send(new ListResourceTenantsCommand({ ResourceArn: arn('identity', 'acme.example') }));
    expect(tenants.ResourceTenants).toEqual([
      expect.objectContaining({ TenantName: 'acme', ResourceArn: arn('identity', 'acme.example') }),
    ]);
  });

  it('refuses to delete an identity a tenant still uses, until the tenant is deleted', async () => {
    await onboard('acme', 'acme.example');
    await expect(ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: 'acme.example' }))).rejects.toBeInstanceOf(
      BadRequestException,
    );
    await ses.send(new DeleteTenantCommand({ TenantName: 'acme' }));
    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: 'acme.example' }));
    await expect(identityStatus('acme.example')).rejects.toBeInstanceOf(NotFoundException);
  });

  it('keeps identities per region, by the region the request was signed for', async () => {
    const virginia = new SESv2Client({ region: 'us-east-1', endpoint: sandbox.url, credentials });
    await virginia.send(new CreateEmailIdentityCommand({ EmailIdentity: 'us.example' }));
    const here = await ses.send(new ListEmailIdentitiesCommand({}));
    const there = await virginia.send(new ListEmailIdentitiesCommand({}));
    virginia.destroy();
    expect(here.EmailIdentities).toEqual([]);
    expect(there.EmailIdentities).toEqual([
      expect.objectContaining({ IdentityName: 'us.example', IdentityType: 'DOMAIN' }),
    ]);
  });

  it('shows the SES sandbox flag on the account and only sends to verified recipients while it is on', async () => {
    await onboard('acme', 'acme.example');
    expect(await ses.send(new GetAccountCommand({}))).toMatchObject({
      ProductionAccessEnabled: true,
      SendingEnabled: true,
    });
    expect((await control('POST', '/account', { sandbox: true })).body).toMatchObject({ sandbox: true });
    expect(await ses.send(new GetAccountCommand({}))).toMatchObject({
      ProductionAccessEnabled: false,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 },
    });
    const attempt = ses.send(new SendEmailCommand(simpleMail('info@acme.example', ['jane@customer.example'])));
    await expect(attempt).rejects.toThrow('failed the check in region EU-WEST-1: jane@customer.example');
    expect(
      (await ses.send(new SendEmailCommand(simpleMail('info@acme.example', ['ops@acme.example'])))).MessageId,
    ).toBeDefined();
  });

  it('answers SendingPausedException and AccountSuspendedException as the account state says', async () => {
    await onboard('acme', 'acme.example');
    const send = () => ses.send(new SendEmailCommand(simpleMail('info@acme.example', ['jane@customer.example'])));
    await control('POST', '/account', { sendingEnabled: false });
    await expect(send()).rejects.toBeInstanceOf(SendingPausedException);
    await control('POST', '/account', { sendingEnabled: true, enforcementStatus: 'SHUTDOWN' });
    await expect(send()).rejects.toBeInstanceOf(AccountSuspendedException);
  });

  it('answers an injected fault with the error shape and status the model gives it', async () => {
    await control('POST', '/faults', { operation: 'GetAccount', error: 'TooManyRequestsException' });
    const attempt = ses.send(new GetAccountCommand({}));
    await expect(attempt).rejects.toBeInstanceOf(TooManyRequestsException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 429 } });
    expect(await ses.send(new GetAccountCommand({}))).toMatchObject({ SendingEnabled: true });
  });

  it('refuses to inject a fault with an error the model does not have', async () => {
    expect(await control('POST', '/faults', { error: 'NoSuchThingException' })).toMatchObject({
      status: 400,
      body: { field: 'error' },
    });
  });

  it('sends a stored template with its data filled into the subject', async () => {
    await onboard('acme', 'acme.example');
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: 'welcome',
        TemplateContent: { Subject: 'Welcome, {{name}}!', Text: 'Hello {{name}}' },
      }),
    );
    const template = { Template: { TemplateName: 'welcome', TemplateData: '{"name":"Jane"}' } };
    await ses.send(
      new SendEmailCommand({ ...simpleMail('info@acme.example', ['jane@customer.example']), Content: template }),
    );
    expect((await control('GET', '/messages')).body.messages).toEqual([
      expect.objectContaining({ subject: 'Welcome, Jane!' }),
    ]);
    const unknown = { Template: { TemplateName: 'nope', TemplateData: '{}' } };
    await expect(
      ses.send(
        new SendEmailCommand({ ...simpleMail('info@acme.example', ['jane@customer.example']), Content: unknown }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it('is reached through AWS_ENDPOINT_URL_SESV2 by a client built without an endpoint', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_SESV2;
    process.env.AWS_ENDPOINT_URL_SESV2 = sandbox.url;
    const client = new SESv2Client({ region: REGION, credentials });
    try {
      expect(await client.send(new GetAccountCommand({}))).toMatchObject({ EnforcementStatus: 'HEALTHY' });
    } finally {
      client.destroy();
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SESV2;
      else process.env.AWS_ENDPOINT_URL_SESV2 = previous;
    }
  });
});

describe('SES sandbox events', () => {
  it('publishes Send and Delivery, Bounce or Complaint per recipient, with the message tags', async () => {
    await onboard('acme', 'acme.example');
    const sent = await ses.send(
      new SendEmailCommand(
        simpleMail('info@acme.example', ['jane@customer.example', 'bounce@customer.example', 'spam@customer.example'], {
          TenantName: 'acme',
          ConfigurationSetName: 'cs-acme',
          EmailTags: [{ Name: 'messageId', Value: 'welcome-42' }],
        }),
      ),
    );
    const published = await eventually(
      async () => events,
      (list) => list.length >= 5,
    );
    expect(published.map((event) => event['detail-type'])).toEqual([
      'Email Sent',
      'Email Delivered',
      'Email Bounced',
      'Email Delivered',
      'Email Complaint Received',
    ]);
    for (const event of published) {
      expect(event).toMatchObject({
        source: 'aws.ses',
        account: ACCOUNT,
        region: REGION,
        detail: {
          mail: {
            messageId: sent.MessageId,
            tags: { 'ses:configuration-set': ['cs-acme'], messageId: ['welcome-42'] },
          },
        },
      });
    }
    expect(published[2]?.detail).toMatchObject({
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'bounce@customer.example' }] },
    });
    expect(published[4]?.detail).toMatchObject({
      eventType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: 'spam@customer.example' }] },
    });
  });

  it('lists the events it published on the control API, oldest first', async () => {
    await onboard('acme', 'acme.example');
    const sent = await ses.send(
      new SendEmailCommand(
        simpleMail('info@acme.example', ['jane@customer.example'], { ConfigurationSetName: 'cs-acme' }),
      ),
    );
    const { body } = await control('GET', '/events');
    expect(body.events).toEqual([
      expect.objectContaining({ 'detail-type': 'Email Sent', detail: expect.objectContaining({ eventType: 'Send' }) }),
      expect.objectContaining({ 'detail-type': 'Email Delivered' }),
    ]);
    expect(JSON.stringify(body.events)).toContain(sent.MessageId);
    expect((await control('DELETE', '/events')).status).toBe(204);
    expect((await control('GET', '/events')).body.events).toEqual([]);
  });

  it('publishes nothing for a configuration set without an EventBridge destination', async () => {
    await onboard('acme', 'acme.example');
    await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: 'quiet' }));
    await ses.send(
      new SendEmailCommand(
        simpleMail('info@acme.example', ['jane@customer.example'], { ConfigurationSetName: 'quiet' }),
      ),
    );
    await ses.send(
      new SendEmailCommand(
        simpleMail('info@acme.example', ['jane@customer.example'], { ConfigurationSetName: 'cs-acme' }),
      ),
    );
    await eventually(
      async () => events,
      (list) => list.length >= 2,
    );
    expect(
      events.every(
        (event) =>
          (event.detail.mail as { tags: Record<string, string[]> }).tags['ses:configuration-set']?.[0] === 'cs-acme',
      ),
    ).toBe(true);
  });

  it('pauses a tenant through the control API: sends refused and Sending Status Disabled published', async () => {
    await onboard('acme', 'acme.example');
    expect(
      (await control('POST', '/tenants/acme/sending-status', { status: 'DISABLED', cause: 'High bounce rate' })).status,
    ).toBe(204);
    const attempt = ses.send(
      new SendEmailCommand(
        simpleMail('info@acme.example', ['jane@customer.example'], {
          TenantName: 'acme',
          ConfigurationSetName: 'cs-acme',
        }),
      ),
    );
    await expect(attempt).rejects.toBeInstanceOf(SendingPausedException);
    const [event] = await eventually(
      async () => events,
      (list) => list.length >= 1,
    );
    expect(event).toMatchObject({
      'detail-type': 'Sending Status Disabled',
      resources: [expect.stringMatching(new RegExp(`^arn:aws:ses:${REGION}:${ACCOUNT}:tenant/acme/tn-`))],
      detail: { data: { origin: 'AWS_MANAGED', record: { status: 'DISABLED', cause: 'High bounce rate' } } },
    });
    expect((await ses.send(new GetTenantCommand({ TenantName: 'acme' }))).Tenant?.SendingStatus).toBe('DISABLED');
  });
});
