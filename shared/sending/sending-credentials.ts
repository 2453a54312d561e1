import type { EnvelopeCipher } from '../crypto/envelope.js';
import { type IntegrationRecord, secretContext } from '../integrations/integration-record.js';
import type { IntegrationStore } from '../integrations/integration-repository.js';

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
 * key version per five minutes. Expired plaintext is dropped when next touched, and
 * {@link forget} drops a tenant at once (SendGrid answered 401: the key may just have been rotated).
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
  ) {}

  /** The tenant's integration, at most `recordMs` old. */
  async record(tenantId: string): Promise<IntegrationRecord | undefined> {
    const cached = this.fresh(this.records, tenantId);
    if (cached) return cached.value;
    this.stats.recordReads += 1;
    const record = await this.deps.repository.get(tenantId);
    this.remember(this.records, tenantId, record, this.windows.recordMs);
    return record;
  }

  /** The plaintext key of this record's key version, at most `keyMs` old. */
  async apiKey(record: IntegrationRecord): Promise<string> {
    const id = `${record.tenantId}\u0000${record.keyVersion}`;
    const cached = this.fresh(this.keys, id);
    if (cached) return cached.value;
    if (!record.secret) throw new Error(`The ${record.provider} integration of this tenant holds no key.`);
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
