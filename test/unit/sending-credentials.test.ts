import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { type IntegrationRecord, secretContext } from '../../shared/integrations/integration-record.js';
import { deleteIntegration, saveIntegration } from '../../shared/integrations/integration-use-cases.js';
import type { CredentialProvider, ProviderVerification } from '../../shared/providers/email-provider.js';
import { SendingCredentials } from '../../shared/sending/sending-credentials.js';
import { CountingKeyChecks } from '../support/counting-key-checks.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));
const firstKey = `SG.${'a'.repeat(22)}.${'1'.repeat(43)}`;
const secondKey = `SG.${'b'.repeat(22)}.${'2'.repeat(43)}`;

/** A provider that accepts every key, for saving through the real use case. */
const provider: CredentialProvider = {
  name: 'sendgrid',
  async verify({ apiKey }): Promise<ProviderVerification> {
    return {
      provider: 'sendgrid',
      region: 'global',
      keyId: apiKey.slice(3, 25),
      scopes: { granted: [], required: [], ignored: [] },
      domains: [{ domain: 'acme.example', valid: true }],
      senders: [],
    };
  },
  async senderDomains() {
    return [{ domain: 'acme.example', valid: true }];
  },
  async send(): Promise<never> {
    throw new Error('nothing is sent in these tests');
  },
};

async function recordWith(apiKey: string, keyVersion: number): Promise<IntegrationRecord> {
  return {
    tenantId: 'tenant-a',
    channel: 'email',
    provider: 'sendgrid',
    region: 'global',
    keyId: apiKey.slice(3, 25),
    emails: ['info@acme.example'],
    status: 'active',
    keyVersion,
    revision: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    secret: await cipher.encrypt(apiKey, secretContext('tenant-a', 'sendgrid')),
  };
}

describe('SendingCredentials', () => {
  let store: InMemoryIntegrationStore;
  let credentials: SendingCredentials;

  beforeEach(async () => {
    store = new InMemoryIntegrationStore({ records: [await recordWith(firstKey, 1)] });
    credentials = new SendingCredentials({ repository: store, cipher });
  });

  it('decrypts a different stored key at the same key version instead of serving the cached one', async () => {
    expect(await credentials.apiKey(await recordWith(firstKey, 1))).toBe(firstKey);

    // Delete and save of another key starts the key version at 1 again.
    expect(await credentials.apiKey(await recordWith(secondKey, 1))).toBe(secondKey);
    expect(credentials.stats.keyDecrypts).toBe(2);
  });

  it('decrypts the same stored key once while it is cached', async () => {
    const record = await recordWith(firstKey, 1);
    await credentials.apiKey(record);
    await credentials.apiKey(structuredClone(record));

    expect(credentials.stats.keyDecrypts).toBe(1);
  });

  it('after a delete and a save of another key in this process, the next send uses the new key', async () => {
    const warm = await credentials.record('tenant-a');
    expect(await credentials.apiKey(warm as IntegrationRecord)).toBe(firstKey);
    const deps = { provider, repository: store, cipher, keyChecks: new CountingKeyChecks() };

    await deleteIntegration(deps, 'tenant-a');
    await saveIntegration(deps, 'tenant-a', { apiKey: secondKey, emails: ['info@acme.example'] });

    const fresh = (await credentials.record('tenant-a')) as IntegrationRecord;
    expect(fresh.keyVersion).toBe(1);
    expect(await credentials.apiKey(fresh)).toBe(secondKey);
    expect(credentials.stats.recordReads).toBe(2);
  });
});
