import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { type CheckedProviders, runHealthCheck } from '../../shared/integrations/health-check.js';
import { type IntegrationRecord, secretContext } from '../../shared/integrations/integration-record.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import type { EmailProvider, ProviderVerification, SenderDomain } from '../../shared/providers/email-provider.js';
import { KeyVerificationError } from '../../shared/providers/sendgrid/sendgrid-provider.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));

async function record(tenantId: string, apiKey: string, emails = ['info@acme.example']): Promise<IntegrationRecord> {
  return {
    tenantId,
    channel: 'email',
    provider: 'sendgrid',
    region: 'global',
    keyId: 'k',
    emails,
    status: 'active',
    keyVersion: 1,
    revision: 3,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    secret: await cipher.encrypt(apiKey, secretContext(tenantId, 'sendgrid')),
  };
}

/** A provider whose answer depends on the key it is given. */
function providerAnswering(answers: Record<string, () => ProviderVerification>) {
  let inFlight = 0;
  const stats = { maxInFlight: 0 };
  return {
    stats,
    async verify({ apiKey }: { apiKey: string }) {
      inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      const answer = answers[apiKey];
      if (!answer) throw new Error(`unexpected key ${apiKey}`);
      return answer();
    },
  };
}

/** The registry as the health check sees it, with SendGrid's verify scripted and SES's domains given. */
function providersWith(sendgrid: Pick<EmailProvider, 'verify'>, sesDomains: SenderDomain[] = []): CheckedProviders {
  const unused = async (): Promise<never> => {
    throw new Error('not asked in this test');
  };
  return {
    sendgrid: { verify: sendgrid.verify, senderDomains: unused },
    ses: { senderDomains: async () => sesDomains },
  };
}

const fine = (): ProviderVerification => ({
  provider: 'sendgrid',
  region: 'global',
  keyId: 'k',
  scopes: { granted: [], required: [], ignored: [] },
  domains: [
    { domain: 'acme.example', valid: true },
    { domain: 'news.acme.example', valid: false },
  ],
  senders: [],
});

describe('runHealthCheck', () => {
  it('maps every finding to a status, pages through the table and keeps its concurrency bound', async () => {
    const records = [
      await record('active', 'good'),
      await record('revoked', 'revoked'),
      await record('rescoped', 'rescoped'),
      await record('stranded', 'good', ['info@acme.example', 'sales@news.acme.example']),
      await record('down', 'down'),
    ];
    const corrupted = await record('copied', 'good');
    corrupted.secret = (await record('someone-else', 'good')).secret;
    records.push(corrupted);
    const store = new InMemoryIntegrationStore({ records, now: () => new Date('2026-11-24T03:15:00.000Z') });
    const provider = providerAnswering({
      good: fine,
      revoked: () => {
        throw new KeyVerificationError('key_rejected', 'revoked');
      },
      rescoped: () => {
        throw new KeyVerificationError('excess_scopes', 'too much');
      },
      down: () => {
        throw new UpstreamUnavailableError('SendGrid');
      },
    });
    const summary = await runHealthCheck({
      repository: store,
      cipher,
      providers: providersWith(provider),
      concurrency: 2,
      pageSize: 4,
    });
    expect(summary).toEqual({
      checked: 6,
      outcomes: {
        active: 1,
        key_rejected: 1,
        scopes_changed: 1,
        sender_unauthenticated: 1,
        unreachable: 1,
        unreadable: 1,
      },
    });
    expect(provider.stats.maxInFlight).toBe(2);
    expect(store.calls.list).toBe(2);
    const written = records.map((entry) => store.peek(entry.tenantId)).filter((entry) => entry?.revision === 4);
    expect(Object.fromEntries(written.map((entry) => [entry?.tenantId, entry?.status]))).toEqual({
      active: 'active',
      revoked: 'key_rejected',
      rescoped: 'scopes_changed',
      stranded: 'sender_unauthenticated',
    });
    expect(store.peek('active')).toMatchObject({ lastVerifiedAt: '2026-11-24T03:15:00.000Z', revision: 4 });
  });

  it('never overwrites a change the tenant made meanwhile', async () => {
    const busy = await record('busy', 'good');
    const store = new InMemoryIntegrationStore({ records: [busy] });
    const summary = await runHealthCheck({
      repository: {
        list: async () => ({ records: [busy], unreadable: [] }),
        // The tenant edits its senders between the check's read and its write.
        update: async (tenantId, expectedRevision, change) => {
          await store.update(tenantId, busy.revision, { emails: ['sales@acme.example'] });
          return store.update(tenantId, expectedRevision, change);
        },
      },
      cipher,
      providers: providersWith(providerAnswering({ good: fine })),
    });
    expect(summary.outcomes).toEqual({ changed_meanwhile: 1 });
    expect(store.peek('busy')?.emails).toEqual(['sales@acme.example']);
  });

  it('reports a damaged item as unreadable for its tenant and checks the others', async () => {
    const store = new InMemoryIntegrationStore({ records: [await record('fine', 'good')] });
    store.items.set('damaged', { ...(await record('damaged', 'good')), emails: 'info@acme.example' });
    const seen: Array<[string, string]> = [];

    const summary = await runHealthCheck({
      repository: store,
      cipher,
      providers: providersWith(providerAnswering({ good: fine })),
      onOutcome: (outcome, tenantId) => seen.push([tenantId, outcome]),
    });

    expect(summary).toEqual({ checked: 2, outcomes: { active: 1, unreadable: 1 } });
    expect(seen).toContainEqual(['damaged', 'unreadable']);
  });

  it('re-checks only blocked tenants with scope blocked, and unblocks one whose key works again', async () => {
    const blocked = { ...(await record('blocked', 'good')), status: 'key_rejected' as const, lastSendError: '401' };
    const stillBlocked = { ...(await record('still-blocked', 'revoked')), status: 'key_rejected' as const };
    const store = new InMemoryIntegrationStore({
      records: [await record('healthy', 'unused-key'), blocked, stillBlocked],
    });
    const provider = providerAnswering({
      good: fine,
      revoked: () => {
        throw new KeyVerificationError('key_rejected', 'revoked');
      },
    });

    const summary = await runHealthCheck(
      {
        repository: store,
        cipher,
        providers: providersWith(provider),
      },
      { scope: 'blocked' },
    );

    expect(summary).toEqual({ checked: 2, outcomes: { active: 1, key_rejected: 1 } });
    expect(store.calls.update).toBe(2);
    expect(store.peek('blocked')).toMatchObject({ status: 'active', revision: 4 });
    expect(store.peek('blocked')?.lastSendError).toBeUndefined();
    expect(store.peek('still-blocked')).toMatchObject({ status: 'key_rejected', revision: 4 });
    expect(store.peek('healthy')?.revision).toBe(3);
  });

  it('checks an SES tenant’s senders against its own SES tenant’s domains', async () => {
    const onSes = (tenantId: string, emails: string[]): IntegrationRecord => ({
      tenantId,
      channel: 'email',
      provider: 'ses',
      region: 'eu-west-1',
      keyId: `ei-${tenantId}`,
      emails,
      status: 'active',
      keyVersion: 1,
      revision: 1,
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:00.000Z',
      lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    });
    const asked: unknown[] = [];
    const providers = providersWith(providerAnswering({}));
    const summary = await runHealthCheck({
      repository: new InMemoryIntegrationStore({ records: [onSes('tenant-b', ['info@acme.example'])] }),
      cipher,
      providers: {
        ...providers,
        ses: {
          senderDomains: async (account) => {
            asked.push(account);
            return [{ domain: 'globex.example', valid: true }];
          },
        },
      },
    });

    expect(summary.outcomes).toEqual({ sender_unauthenticated: 1 });
    expect(asked).toEqual([{ region: 'eu-west-1', tenantId: 'tenant-b' }]);
  });
});
