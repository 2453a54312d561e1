import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { runHealthCheck } from '../../shared/integrations/health-check.js';
import { type IntegrationRecord, secretContext } from '../../shared/integrations/integration-record.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import type { ProviderVerification } from '../../shared/providers/email-provider.js';
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
      provider,
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
      provider: providerAnswering({ good: fine }),
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
      provider: providerAnswering({ good: fine }),
      onOutcome: (outcome, tenantId) => seen.push([tenantId, outcome]),
    });

    expect(summary).toEqual({ checked: 2, outcomes: { active: 1, unreadable: 1 } });
    expect(seen).toContainEqual(['damaged', 'unreadable']);
  });
});
