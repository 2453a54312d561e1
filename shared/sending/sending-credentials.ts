import { createHash } from 'node:crypto';
import type { EncryptedSecret, EnvelopeCipher } from '../crypto/envelope.js';
import { type IntegrationRecord, secretContext } from '../integrations/integration-record.js';
import { dropOnIntegrationWrite, type IntegrationStore } from '../integrations/integration-repository.js';

/** How long a warm function trusts what it read (issue #5): short enough that edits show up fast. */
export const CACHE_WINDOWS = { recordMs: 60_000, keyMs: 5 * 60_000 } as const;

/** Tenants kept at most; the oldest entry goes first, so a burst of tenants cannot grow memory. */
const MAX_TENANTS = 1_000;

interface Timed<T> {
  value: T;
  expiresAt: number;
}

/**
 * The integration record and decrypted key of each tenant the send path serves, cached in
 * memory so a burst of mail for one tenant costs one table read a minute and one KMS call per
 * stored key per five minutes. A key is cached under a digest of its stored ciphertext, never
 * under the key version (which starts at 1 again after a delete), so a replaced key can never
 * be served for a new one. Expired plaintext is dropped when next touched, and {@link forget}
 * drops a tenant at once: when SendGrid answered 401 (the key may just have been rotated) and
 * whenever this process writes the tenant's integration (a delete, a save).
 */
export class SendingCredentials {
  private readonly records = new Map<string, Timed<IntegrationRecord | undefined>>();
  private readonly keys = new Map<string, Timed<string>>();
  /** Counters the benchmark reads: how often the cache had to go to DynamoDB or KMS. */
  readonly stats = { recordReads: 0, keyDecrypts: 0 };

  constructor(
    private readonly deps: { repository: Pick<IntegrationStore, 'get'>; cipher: Pick<EnvelopeCipher, 'decrypt'> },
    private readonly windows: { recordMs: number; keyMs: number } = CACHE_WINDOWS,
    private readonly now: () => number = Date.now,
  ) {
    dropOnIntegrationWrite(this);
  }

  /** The tenant's integration, at most `recordMs` old. */
  async record(tenantId: string): Promise<IntegrationRecord | undefined> {
    const cached = this.fresh(this.records, tenantId);
    if (cached) return cached.value;
    this.stats.recordReads += 1;
    const record = await this.deps.repository.get(tenantId);
    this.remember(this.records, tenantId, record, this.windows.recordMs);
    return record;
  }

  /** The plaintext of this record's stored key, decrypted at most `keyMs` ago. */
  async apiKey(record: IntegrationRecord): Promise<string> {
    if (!record.secret) throw new Error(`The ${record.provider} integration of this tenant holds no key.`);
    const id = `${record.tenantId}\u0000${record.keyId}\u0000${ciphertextDigest(record.secret)}`;
    const cached = this.fresh(this.keys, id);
    if (cached) return cached.value;
    this.stats.keyDecrypts += 1;
    const apiKey = await this.deps.cipher.decrypt(record.secret, secretContext(record.tenantId, record.provider));
    this.remember(this.keys, id, apiKey, this.windows.keyMs);
    return apiKey;
  }

  /** Drops everything cached for a tenant. */
  forget(tenantId: string): void {
    this.records.delete(tenantId);
    for (const id of this.keys.keys()) if (id.startsWith(`${tenantId}\u0000`)) this.keys.delete(id);
  }

  private fresh<T>(cache: Map<string, Timed<T>>, id: string): Timed<T> | undefined {
    const entry = cache.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry;
    cache.delete(id);
    return undefined;
  }

  private remember<T>(cache: Map<string, Timed<T>>, id: string, value: T, windowMs: number): void {
    cache.delete(id);
    if (cache.size >= MAX_TENANTS) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(id, { value, expiresAt: this.now() + windowMs });
  }
}

/**
 * SHA-256 of everything stored of a key: every save encrypts under a fresh data key and IV, so
 * two different stored keys (even at the same key version) never share a digest.
 */
function ciphertextDigest(secret: EncryptedSecret): string {
  const hash = createHash('sha256');
  for (const part of [secret.masterKeyId, secret.encryptedDataKey, secret.iv, secret.authTag, secret.ciphertext]) {
    hash.update(part).update('\u0000');
  }
  return hash.digest('base64url');
}
