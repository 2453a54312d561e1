import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  type CreateTenantResourceAssociationCommandInput,
  GetEmailIdentityCommand,
  ListResourceTenantsCommand,
  type ListResourceTenantsCommandInput,
  ListTenantResourcesCommand,
  type ListTenantResourcesCommandInput,
  NotFoundException,
  SESv2Client,
  SendEmailCommand,
  UpdateReputationEntityPolicyCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { IntegrationRepository } from '../../shared/integrations/integration-repository.js';
import { moveToSendGrid, moveToSes } from '../../shared/integrations/provider-migration.js';
import { createProviderRegistry, type ProviderRegistry } from '../../shared/providers/provider-registry.js';
import { EmailDispatcher } from '../../shared/sending/email-dispatcher.js';
import { MailAccounts } from '../../shared/sending/mail-accounts.js';
import { SendLedger } from '../../shared/sending/send-ledger.js';
import { SendingCredentials } from '../../shared/sending/sending-credentials.js';
import { type LocalService, startLocalService } from './local-service.js';

const ses = mockClient(SESv2Client);
let service: LocalService;
let migration: Parameters<typeof moveToSes>[0];
let repository: IntegrationRepository;
let ledger: SendLedger;
let cipher: EnvelopeCipher;
let providers: ProviderRegistry;
/** SES's tenant associations as the mocked SES holds them: resource ARN → tenant names. */
const associations = new Map<string, Set<string>>();

beforeAll(async () => {
  service = await startLocalService();
  const clientConfig = { endpoint: service.runtime.dynamoDb.endpoint, region: 'eu-central-1' };
  repository = new IntegrationRepository({
    tableName: service.runtime.dynamoDb.tables.integrations as string,
    clientConfig,
  });
  ledger = new SendLedger({ tableName: service.runtime.dynamoDb.tables.sendLedger as string, clientConfig });
  cipher = new EnvelopeCipher(LocalKeyring.fromFile(join(service.dataDir, 'keyring.json')));
  providers = createProviderRegistry({
    sendGrid: { baseUrls: { global: service.sandbox.globalUrl, eu: service.sandbox.euUrl } },
    ses: { accountId: '123456789012' },
  });
  migration = { repository, cipher, providers };
});
afterAll(() => service?.close());
beforeEach(() => {
  ses.reset();
  associations.clear();
  ses.on(GetEmailIdentityCommand).rejects(new NotFoundException({ message: 'Identity does not exist', $metadata: {} }));
  ses
    .on(GetEmailIdentityCommand, { EmailIdentity: 'acme.example' })
    .resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' } });
  ses.on(CreateTenantCommand).resolves({ TenantArn: 'arn:aws:ses:eu-west-1:123456789012:tenant/ei-t/tn-1' });
  ses.on(UpdateReputationEntityPolicyCommand).resolves({});
  ses.on(CreateTenantResourceAssociationCommand).callsFake((input: CreateTenantResourceAssociationCommandInput) => {
    const tenants = associations.get(input.ResourceArn as string) ?? new Set<string>();
    associations.set(input.ResourceArn as string, tenants.add(input.TenantName as string));
    return {};
  });
  ses.on(ListResourceTenantsCommand).callsFake((input: ListResourceTenantsCommandInput) => ({
    ResourceTenants: [...(associations.get(input.ResourceArn as string) ?? [])].map((TenantName) => ({ TenantName })),
  }));
  ses.on(ListTenantResourcesCommand).callsFake((input: ListTenantResourcesCommandInput) => ({
    TenantResources: [...associations]
      .filter(([, tenants]) => tenants.has(input.TenantName as string))
      .map(([ResourceArn]) => ({ ResourceType: 'EMAIL_IDENTITY', ResourceArn })),
  }));
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-message' });
});

/** A send consumer as a freshly started send function builds it (no warm caches). */
function freshDispatcher(): EmailDispatcher {
  return new EmailDispatcher({
    accounts: new MailAccounts({
      credentials: new SendingCredentials({ repository, cipher }),
      repository,
      transports: providers,
      now: () => new Date(),
    }),
    ledger,
    logger: new Logger({ logLevel: 'SILENT' }),
    leaseMs: 60_000,
    now: () => new Date(),
  });
}

const event = (tenantId: string, messageId: string) => ({
  tenantId,
  messageId,
  audience: 'customer',
  to: [{ email: 'jane@customer.example' }],
  subject: 'Hello',
  text: 'Hi',
});

describe('moving a tenant between SendGrid and Amazon SES', () => {
  it('sends through SES after the move, keeps the senders, sends nothing twice, and moves back', async () => {
    const tenant = 'moving-tenant';
    expect(
      (await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example', 'noreply@acme.example']))
        .status,
    ).toBe(201);
    expect(await freshDispatcher().dispatch(event(tenant, 'before-1'), 'e1')).toMatchObject({ kind: 'sent' });

    const onSes = await moveToSes(migration, tenant, { region: 'eu-west-1' });
    expect(onSes).toMatchObject({
      provider: 'ses',
      region: 'eu-west-1',
      emails: ['info@acme.example', 'noreply@acme.example'],
    });
    expect((await service.as(tenant).card()).body).toMatchObject({ provider: 'ses', keyId: 'ei-moving-tenant' });

    const sandboxBefore = service.sandbox.messages().length;
    // The event delivered again after the switch is not sent again through the other provider.
    expect(await freshDispatcher().dispatch(event(tenant, 'before-1'), 'e1')).toEqual({
      kind: 'duplicate',
      state: 'sent',
    });
    expect(await freshDispatcher().dispatch(event(tenant, 'after-1'), 'e2')).toMatchObject({
      kind: 'sent',
      providerMessageId: 'ses-message',
    });
    expect(ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ FromEmailAddress: 'info@acme.example', TenantName: 'ei-moving-tenant' }),
    ]);
    expect(service.sandbox.messages()).toHaveLength(sandboxBefore);

    // Senders can still be edited from the console, checked against SES's verified domains.
    expect((await service.as(tenant).editEmails(['noreply@acme.example', 'info@acme.example'])).status).toBe(200);
    const unverified = await service.as(tenant).editEmails(['info@globex.example']);
    expect(unverified.status).toBe(422);
    expect(unverified.body.code).toBe('sender_not_authenticated');

    // The SendGrid key routes refuse a tenant that SES now serves.
    const rotate = await service.as(tenant).rotate(service.sandbox.key('good-second').apiKey);
    expect(rotate.status).toBe(409);
    expect(rotate.body.code).toBe('wrong_provider');

    const back = await moveToSendGrid(migration, tenant);
    expect(back).toMatchObject({ provider: 'sendgrid', region: 'global', keyId: service.sandbox.key('good').keyId });
    expect(await freshDispatcher().dispatch(event(tenant, 'back-1'), 'e3')).toMatchObject({ kind: 'sent' });
    expect(service.sandbox.messages()).toHaveLength(sandboxBefore + 1);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('refuses to move a tenant whose senders are not verified in SES, naming them', async () => {
    const tenant = 'stuck-tenant';
    await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example', 'sales@news.acme.example']);
    await expect(moveToSes(migration, tenant, { region: 'eu-west-1' })).rejects.toMatchObject({
      code: 'sender_not_authenticated',
      detail: expect.stringContaining('sales@news.acme.example'),
    });
    expect((await service.as(tenant).card()).body.provider).toBe('sendgrid');
  });
});
