import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import {
  cardETag,
  deleteIntegration,
  getIntegration,
  rotateKey,
  saveIntegration,
  updateSenders,
  verifyKey,
} from '../../shared/integrations/integration-use-cases.js';
import type {
  CredentialProvider,
  ProviderVerification,
  SenderDomain,
  SendingAccount,
} from '../../shared/providers/email-provider.js';
import { CountingKeyChecks } from '../support/counting-key-checks.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const firstKey = `SG.${'a'.repeat(22)}.${'1'.repeat(43)}`;
const secondKey = `SG.${'b'.repeat(22)}.${'2'.repeat(43)}`;
const acmeDomains: SenderDomain[] = [
  { domain: 'acme.example', valid: true },
  { domain: 'old.acme.example', valid: false },
];

/** A provider whose answers the test sets; remembers the credentials it was given. */
class FakeProvider implements CredentialProvider {
  readonly name = 'sendgrid' as const;
  domains = acmeDomains;
  seen: Array<{ apiKey: string; region?: string }> = [];

  async verify(credentials: { apiKey: string; region?: string }): Promise<ProviderVerification> {
    this.seen.push(credentials);
    return {
      provider: 'sendgrid',
      region: 'global',
      keyId: credentials.apiKey.trim().slice(3, 25),
      scopes: { granted: [], required: [], ignored: [] },
      domains: this.domains,
      senders: [],
    };
  }

  async senderDomains({ apiKey, region }: SendingAccount) {
    this.seen.push({ apiKey: apiKey ?? '', region });
    return this.domains;
  }

  async send(): Promise<never> {
    throw new Error('the use cases never send');
  }
}

describe('integration use cases', () => {
  let provider: FakeProvider;
  let deps: Parameters<typeof saveIntegration>[0] & Parameters<typeof updateSenders>[0];
  let store: InMemoryIntegrationStore;
  let keyChecks: CountingKeyChecks;
  const stored = () => store.peek('tenant-a');

  beforeEach(() => {
    provider = new FakeProvider();
    store = new InMemoryIntegrationStore({ now: () => new Date('2026-11-24T10:00:00.000Z') });
    keyChecks = new CountingKeyChecks();
    deps = {
      provider,
      providers: { sendgrid: provider, ses: provider },
      repository: store,
      cipher: new EnvelopeCipher(new LocalKeyring(randomBytes(32))),
      keyChecks,
    };
  });

  it('saves a new integration encrypted, with lower-cased senders, and reports it as created', async () => {
    const { created, card } = await saveIntegration(deps, 'tenant-a', {
      apiKey: `  ${firstKey} `,
      emails: ['Info@ACME.example', 'noreply@acme.example'],
    });

    expect(created).toBe(true);
    expect(card).toMatchObject({
      keyVersion: 1,
      emails: ['info@acme.example', 'noreply@acme.example'],
      rotatedAt: null,
    });
    expect(JSON.stringify(stored())).not.toContain(firstKey.slice(26));
    expect(
      await deps.cipher.decrypt(stored()?.secret as NonNullable<IntegrationRecord['secret']>, {
        tenantId: 'tenant-a',
        provider: 'sendgrid',
      }),
    ).toBe(firstKey);
  });

  it('refuses senders outside the key’s valid domains and writes nothing', async () => {
    await expect(
      saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example', 'x@old.acme.example'] }),
    ).rejects.toMatchObject({ code: 'sender_not_authenticated', extensions: { emails: ['x@old.acme.example'] } });
    expect(store.writes).toBe(0);
  });

  it('replaces an existing integration, keeping createdAt and bumping the key version', async () => {
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    store.now = () => new Date('2026-11-25T10:00:00.000Z');

    const { created, card } = await saveIntegration(deps, 'tenant-a', {
      apiKey: secondKey,
      emails: ['noreply@acme.example'],
    });

    expect(created).toBe(false);
    expect(card).toMatchObject({
      keyVersion: 2,
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-25T10:00:00.000Z',
      emails: ['noreply@acme.example'],
    });
  });

  it('rotates the key and carries the senders over', async () => {
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });

    const card = await rotateKey(deps, 'tenant-a', { apiKey: secondKey });

    expect(card).toMatchObject({ keyVersion: 2, emails: ['info@acme.example'], keyId: 'b'.repeat(22) });
    expect(card.rotatedAt).not.toBeNull();
  });

  it('refuses a rotation whose new key does not cover the senders, and changes nothing', async () => {
    provider.domains = [...acmeDomains, { domain: 'news.acme.example', valid: true }];
    await saveIntegration(deps, 'tenant-a', {
      apiKey: firstKey,
      emails: ['info@acme.example', 'info@news.acme.example'],
    });
    const before = stored();
    provider.domains = acmeDomains;

    await expect(rotateKey(deps, 'tenant-a', { apiKey: secondKey })).rejects.toMatchObject({
      code: 'sender_not_authenticated',
    });
    expect(stored()).toEqual(before);
    expect(store.calls.update).toBe(0);
  });

  it('refuses a key under which no sender’s domain is authenticated as another account’s, and changes nothing', async () => {
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    const before = stored();
    provider.domains = [{ domain: 'globex.example', valid: true }];

    const refusal = rotateKey(deps, 'tenant-a', { apiKey: secondKey });

    await expect(refusal).rejects.toMatchObject({
      code: 'different_account',
      extensions: { emails: ['info@acme.example'], authenticatedDomains: ['globex.example'] },
    });
    await expect(refusal).rejects.toThrow(/another SendGrid account/);
    expect(stored()).toEqual(before);
  });

  it('refuses to rotate to the key already stored, without bumping the version', async () => {
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    const before = stored();

    await expect(rotateKey(deps, 'tenant-a', { apiKey: ` ${firstKey} ` })).rejects.toMatchObject({ code: 'same_key' });
    expect(stored()).toEqual(before);
    expect(store.calls.update).toBe(0);
  });

  it('checks edited senders with the stored, decrypted key in its region', async () => {
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });

    const card = await updateSenders(deps, 'tenant-a', { emails: ['billing@acme.example'] });

    expect(card.emails).toEqual(['billing@acme.example']);
    expect(provider.seen.at(-1)).toEqual({ apiKey: firstKey, region: 'global' });
    expect(card.keyVersion).toBe(1);
  });

  it('answers not_found for every use case when there is no integration', async () => {
    await expect(getIntegration(deps, 'tenant-a')).rejects.toMatchObject({ code: 'not_found' });
    await expect(rotateKey(deps, 'tenant-a', { apiKey: secondKey })).rejects.toMatchObject({ code: 'not_found' });
    await expect(updateSenders(deps, 'tenant-a', { emails: ['info@acme.example'] })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(deleteIntegration(deps, 'tenant-a')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('deletes the item at the revision it read', async () => {
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });

    const remove = vi.spyOn(store, 'delete');

    await deleteIntegration(deps, 'tenant-a');

    expect(stored()).toBeUndefined();
    expect(remove).toHaveBeenCalledWith('tenant-a', 1);
  });

  it('answers integration_unreadable for a damaged item, and still deletes it', async () => {
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    store.items.set('tenant-a', { ...store.items.get('tenant-a'), status: 42 });

    await expect(getIntegration(deps, 'tenant-a')).rejects.toMatchObject({ code: 'integration_unreadable' });
    await expect(rotateKey(deps, 'tenant-a', { apiKey: secondKey })).rejects.toMatchObject({
      code: 'integration_unreadable',
    });
    await expect(updateSenders(deps, 'tenant-a', { emails: ['info@acme.example'] })).rejects.toMatchObject({
      code: 'integration_unreadable',
    });
    await deleteIntegration(deps, 'tenant-a');

    expect(store.items.has('tenant-a')).toBe(false);
  });

  it('leaves revision and timestamps to the store: each write bumps the revision by one', async () => {
    const { card } = await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    store.now = () => new Date('2026-11-25T10:00:00.000Z');
    await rotateKey(deps, 'tenant-a', { apiKey: secondKey });
    await updateSenders(deps, 'tenant-a', { emails: ['billing@acme.example'] });

    expect(stored()).toMatchObject({
      revision: 3,
      createdAt: card.createdAt,
      updatedAt: '2026-11-25T10:00:00.000Z',
      rotatedAt: '2026-11-25T10:00:00.000Z',
    });
  });

  it('counts every check of a pasted key — verify, save, rotate — and refuses one over the limit before the provider', async () => {
    deps.keyChecks = new CountingKeyChecks(3);
    await verifyKey(deps, 'tenant-a', { apiKey: firstKey });
    await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    await updateSenders(deps, 'tenant-a', { emails: ['billing@acme.example'] });
    await rotateKey(deps, 'tenant-a', { apiKey: secondKey });
    const asked = provider.seen.length;

    await expect(verifyKey(deps, 'tenant-a', { apiKey: firstKey })).rejects.toMatchObject({
      code: 'too_many_attempts',
      extensions: { retryAfterSeconds: 3600, limit: 20 },
    });
    await expect(
      saveIntegration(deps, 'tenant-a', { apiKey: secondKey, emails: ['info@acme.example'] }),
    ).rejects.toMatchObject({ code: 'too_many_attempts' });
    await expect(rotateKey(deps, 'tenant-a', { apiKey: firstKey })).rejects.toMatchObject({
      code: 'too_many_attempts',
    });

    expect(provider.seen).toHaveLength(asked);
    expect(stored()?.keyId).toBe('b'.repeat(22));
    await expect(verifyKey(deps, 'tenant-b', { apiKey: firstKey })).resolves.toMatchObject({ provider: 'sendgrid' });
  });

  describe('preconditions (If-Match / If-None-Match)', () => {
    const etagOf = (card: { createdAt: string; revision: number }) => cardETag('tenant-a', card);

    it('acts when If-Match carries the current ETag, and refuses a stale one with 412', async () => {
      const { card } = await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
      const seen = etagOf(card);

      const edited = await updateSenders(deps, 'tenant-a', { emails: ['billing@acme.example'] }, { ifMatch: seen });
      const before = stored();

      await expect(rotateKey(deps, 'tenant-a', { apiKey: secondKey }, { ifMatch: seen })).rejects.toMatchObject({
        code: 'precondition_failed',
      });
      await expect(
        updateSenders(deps, 'tenant-a', { emails: ['info@acme.example'] }, { ifMatch: seen }),
      ).rejects.toMatchObject({
        code: 'precondition_failed',
      });
      await expect(deleteIntegration(deps, 'tenant-a', { ifMatch: seen })).rejects.toMatchObject({
        code: 'precondition_failed',
      });
      await expect(
        saveIntegration(deps, 'tenant-a', { apiKey: secondKey, emails: ['info@acme.example'] }, { ifMatch: seen }),
      ).rejects.toMatchObject({ code: 'precondition_failed' });
      expect(stored()).toEqual(before);
      expect(provider.seen.filter((credentials) => credentials.apiKey === secondKey)).toEqual([]);

      await deleteIntegration(deps, 'tenant-a', { ifMatch: etagOf(edited) });
      expect(stored()).toBeUndefined();
    });

    it('creates with If-None-Match: * only while the tenant has no integration', async () => {
      const { created } = await saveIntegration(
        deps,
        'tenant-a',
        { apiKey: firstKey, emails: ['info@acme.example'] },
        { ifNoneMatch: '*' },
      );
      expect(created).toBe(true);
      const before = stored();

      await expect(
        saveIntegration(deps, 'tenant-a', { apiKey: secondKey, emails: ['info@acme.example'] }, { ifNoneMatch: '*' }),
      ).rejects.toMatchObject({ code: 'precondition_failed', extensions: { exists: true } });
      expect(stored()).toEqual(before);
    });

    it('answers 412 rather than 404 when If-Match names an integration that is gone', async () => {
      await expect(deleteIntegration(deps, 'tenant-a', { ifMatch: '"gone"' })).rejects.toMatchObject({
        code: 'precondition_failed',
      });
      await expect(deleteIntegration(deps, 'tenant-a')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('gives a re-created integration a new ETag, so a tab from before the delete cannot act on it', async () => {
      let minute = 0;
      store = new InMemoryIntegrationStore({ now: () => new Date(Date.UTC(2026, 10, 24, 10, minute++)) });
      deps = { ...deps, repository: store };
      const first = await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
      await deleteIntegration(deps, 'tenant-a');
      const second = await saveIntegration(deps, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });

      expect(second.card.revision).toBe(first.card.revision);
      expect(etagOf(second.card)).not.toBe(etagOf(first.card));
    });
  });
});
