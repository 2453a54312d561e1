import { randomBytes } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetEmailIdentityCommand, ListResourceTenantsCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OpsAnnouncements } from '../../scripts/ops-announcements.js';
import { runOps } from '../../scripts/ops-cli.js';
import { type EncryptedSecret, EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { type IntegrationRecord, secretContext } from '../../shared/integrations/integration-record.js';
import type { TenantPage } from '../../shared/integrations/integration-repository.js';
import { moveToSendGrid, moveToSes } from '../../shared/integrations/provider-migration.js';
import { createLogger } from '../../shared/observability/logger.js';
import { CredentialsProblem, type ProviderVerification } from '../../shared/providers/email-provider.js';
import type { ProviderRegistry } from '../../shared/providers/provider-registry.js';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';
import { activateSes } from '../../shared/ses-domains/domain-onboarding.js';
import type { DomainRecord } from '../../shared/ses-domains/domain-store.js';
import { announcerOn, CREATED, card, NOW, publishedOn, publisherOn } from '../support/announced-cards.js';
import { InMemoryDomainStore } from '../support/in-memory-domain-store.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const eventBridge = mockClient(EventBridgeClient);
const ses = mockClient(SESv2Client);
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
        statusEvents: announcerOn(eventBridge),
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
    expect(publishedOn(eventBridge)).toEqual([
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

    expect(publishedOn(eventBridge).map((event) => event.detail)).toEqual([
      expect.objectContaining({ provider: 'ses', status: 'active', previousStatus: 'active', cause: 'ses_activated' }),
    ]);
  });

  it('announces a card it creates, with no previous status', async () => {
    await activate();

    expect(publishedOn(eventBridge).map((event) => event.detail)).toEqual([
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

/** The integration store in memory, with the keys-only directory `verify --all` pages through. */
class InMemoryDirectory extends InMemoryIntegrationStore {
  async pageTenants(): Promise<TenantPage> {
    return { tenantIds: [...this.items.keys()].sort() };
  }
}

describe('npm run ops -- verify', () => {
  let store: InMemoryDirectory;
  let cipher: EnvelopeCipher;
  /** Keys SendGrid refuses now. */
  let refused: Set<string>;

  const sendGrid = {
    async verify({ apiKey }: { apiKey: string }): Promise<ProviderVerification> {
      if (refused.has(apiKey)) throw new CredentialsProblem('key_rejected', 'refused');
      return {
        provider: 'sendgrid',
        region: 'global',
        keyId: apiKey,
        scopes: { granted: [], required: [], ignored: [] },
        domains: [{ domain: 'acme.example', valid: true }],
        senders: [],
      };
    },
    async senderDomains() {
      return [{ domain: 'acme.example', valid: true }];
    },
  };

  async function seed(tenantId: string, apiKey: string): Promise<void> {
    store.seed(
      card({ tenantId, keyId: apiKey, secret: await cipher.encrypt(apiKey, secretContext(tenantId, 'sendgrid')) }),
    );
  }

  /** Runs an ops command on the in-memory target, announcing through `announcements`. */
  async function ops(args: string[], announcements: OpsAnnouncements) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, async () => ({
      repository: store,
      cipher,
      // SendGrid's key check, and SES's domain adoption for `migrate`: all these commands reach.
      providers: {
        sendgrid: sendGrid,
        ses: {
          senderDomains: sendGrid.senderDomains,
          adoption: { adoptable: sendGrid.senderDomains, adopt: async () => 'ei-tenant-b' },
        },
      } as unknown as ProviderRegistry,
      announcements,
      describe: 'test',
      close: async () => undefined,
    }));
    return { code, out: out.join(''), err: err.join('') };
  }

  const onTheBus = () =>
    new OpsAnnouncements('email-integrations-test', {
      publisher: publisherOn(eventBridge),
      logger: createLogger(),
      now: () => NOW,
    });

  beforeEach(async () => {
    store = new InMemoryDirectory({ now: () => NOW });
    cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));
    refused = new Set(['SG.revoked']);
    await seed('tenant-a', 'SG.revoked');
    await seed('tenant-b', 'SG.fine');
  });

  it('publishes one Integration Status Changed with the tenant, new status and reason for the card it blocks, and nothing for the card it leaves as it was', async () => {
    const run = await ops(['verify', '--all', '--json'], onTheBus());

    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      checked: 2,
      outcomes: { key_rejected: 1, active: 1 },
      announcements: { announced: 1, failed: 0 },
    });
    expect(store.peek('tenant-a')?.status).toBe('key_rejected');
    expect(publishedOn(eventBridge)).toEqual([
      {
        detailType: 'Email Integration Status Changed',
        detail: expect.objectContaining({
          tenantId: 'tenant-a',
          provider: 'sendgrid',
          status: 'key_rejected',
          previousStatus: 'active',
          cause: 'operator_check',
          reason: expect.stringMatching(/operator re-verified.*refuses the key/),
        }),
      },
    ]);
  });

  it('announces a card one tenant’s verify unblocks, and tells the operator', async () => {
    store.seed({ ...(store.peek('tenant-b') as IntegrationRecord), status: 'key_rejected' });

    const run = await ops(['verify', 'tenant-b'], onTheBus());

    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toContain('1 status change(s) announced');
    expect(publishedOn(eventBridge).map((event) => event.detail)).toEqual([
      expect.objectContaining({ tenantId: 'tenant-b', status: 'active', previousStatus: 'key_rejected' }),
    ]);
  });

  it('still changes the cards and finishes when the bus cannot be reached, saying how many announcements failed', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

    const run = await ops(['verify', '--all', '--json'], onTheBus());

    expect(run.code).toBe(0);
    expect(store.peek('tenant-a')?.status).toBe('key_rejected');
    expect(JSON.parse(run.out)).toMatchObject({ checked: 2, announcements: { announced: 0, failed: 1 } });
    expect(run.err).toContain('1 NOT announced');
    expect(run.err).toContain('The cards are changed all the same');
  });

  it('announces a migrate as the move it is, and says so', async () => {
    const run = await ops(['migrate', 'tenant-b', '--to', 'ses', '--region', 'eu-west-1', '--yes'], onTheBus());

    expect(run.code).toBe(0);
    expect(run.out).toContain('1 status change(s) announced');
    expect(store.peek('tenant-b')).toMatchObject({ provider: 'ses', status: 'active' });
    expect(publishedOn(eventBridge).map((event) => event.detail)).toEqual([
      expect.objectContaining({ tenantId: 'tenant-b', provider: 'ses', cause: 'operator_migration' }),
    ]);
  });

  it('counts the changes as not announced when no bus is named', async () => {
    const run = await ops(['verify', 'tenant-a'], new OpsAnnouncements(undefined));

    expect(run.code).toBe(1);
    expect(run.out).toContain('tenant-a: key_rejected');
    expect(store.peek('tenant-a')?.status).toBe('key_rejected');
    expect(run.err).toContain('1 NOT announced: no service bus was named');
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe('moveToSes and moveToSendGrid (npm run ops -- migrate)', () => {
  let store: InMemoryIntegrationStore;
  let cipher: EnvelopeCipher;
  const domains = async () => [{ domain: 'acme.example', valid: true }];

  function deps() {
    return {
      repository: store,
      cipher,
      providers: {
        sendgrid: { senderDomains: domains },
        ses: { senderDomains: domains, adoption: { adoptable: domains, adopt: async () => 'ei-tenant-a' } },
      },
      statusEvents: announcerOn(eventBridge),
    };
  }

  beforeEach(async () => {
    store = new InMemoryIntegrationStore({ now: () => NOW });
    cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));
    store.seed(
      card({
        status: 'sender_unauthenticated',
        secret: await cipher.encrypt('SG.key', secretContext('tenant-a', 'sendgrid')),
      }),
    );
  });

  it('publishes one Integration Status Changed for each move, naming the provider the tenant sends through now', async () => {
    await moveToSes(deps(), 'tenant-a', { region: 'eu-west-1' });
    await moveToSendGrid(deps(), 'tenant-a');

    expect(publishedOn(eventBridge)).toEqual([
      {
        detailType: 'Email Integration Status Changed',
        detail: expect.objectContaining({
          tenantId: 'tenant-a',
          provider: 'ses',
          status: 'active',
          previousStatus: 'sender_unauthenticated',
          cause: 'operator_migration',
          reason: expect.stringMatching(/operator moved.*Mail is sent\./),
        }),
      },
      {
        detailType: 'Email Integration Status Changed',
        detail: expect.objectContaining({ provider: 'sendgrid', status: 'active', previousStatus: 'active' }),
      },
    ]);
  });

  it('publishes nothing for a move it refuses', async () => {
    await moveToSes(deps(), 'tenant-a', { region: 'eu-west-1' });
    eventBridge.resetHistory();

    await expect(moveToSes(deps(), 'tenant-a', { region: 'eu-west-1' })).rejects.toMatchObject({ code: 'conflict' });

    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
