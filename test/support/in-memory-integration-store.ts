import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import {
  type AtWriteTime,
  announceIntegrationWrite,
  changedIntegrationRecord,
  conflict,
  type IntegrationChange,
  type IntegrationPage,
  type IntegrationStore,
  type NewIntegration,
  newIntegrationRecord,
  parseIntegrationItem,
  parseIntegrationItems,
} from '../../shared/integrations/integration-repository.js';

/**
 * The integration store in memory, for unit tests: the same conditions as DynamoDB's (create
 * only when absent, update and delete only at the revision read), the same revision and
 * timestamp bookkeeping and the same parsing of what it holds (it uses the repository's own
 * functions for all three), so a test cannot pass against a laxer store than production's.
 */
export class InMemoryIntegrationStore implements IntegrationStore {
  /** The stored items as DynamoDB would hold them; a test may put a damaged one here. */
  readonly items = new Map<string, Record<string, unknown>>();
  /** Calls made, for tests that count reads or check that nothing was written. */
  readonly calls = { get: 0, create: 0, update: 0, delete: 0, list: 0 };
  /** The clock that stamps writes; tests move it. */
  now: () => Date;

  constructor(options: { now?: () => Date; records?: IntegrationRecord[] } = {}) {
    this.now = options.now ?? (() => new Date());
    for (const record of options.records ?? []) this.seed(record);
  }

  /** Stores a record as it is (revision and timestamps included), bypassing the conditions. */
  seed(record: IntegrationRecord): void {
    this.items.set(record.tenantId, structuredClone(record) as unknown as Record<string, unknown>);
  }

  /** The stored record of a tenant, parsed, without counting as a read. */
  peek(tenantId: string): IntegrationRecord | undefined {
    const item = this.items.get(tenantId);
    return item === undefined ? undefined : parseIntegrationItem(structuredClone(item));
  }

  /** Writes made (create, update, delete), whether or not their condition held. */
  get writes(): number {
    return this.calls.create + this.calls.update + this.calls.delete;
  }

  async get(tenantId: string): Promise<IntegrationRecord | undefined> {
    this.calls.get += 1;
    return this.peek(tenantId);
  }

  async create(tenantId: string, fields: AtWriteTime<NewIntegration>): Promise<IntegrationRecord> {
    this.calls.create += 1;
    const record = newIntegrationRecord(tenantId, fields, this.now().toISOString());
    if (this.items.has(tenantId)) throw conflict();
    this.seed(record);
    announceIntegrationWrite(tenantId);
    return structuredClone(record);
  }

  async update(
    tenantId: string,
    expectedRevision: number,
    change: AtWriteTime<IntegrationChange>,
  ): Promise<IntegrationRecord> {
    this.calls.update += 1;
    const item = this.items.get(tenantId);
    if (item?.revision !== expectedRevision) throw conflict();
    const record = changedIntegrationRecord(
      parseIntegrationItem(structuredClone(item)),
      change,
      this.now().toISOString(),
    );
    this.seed(record);
    announceIntegrationWrite(tenantId);
    return structuredClone(record);
  }

  async delete(tenantId: string, expectedRevision: number | undefined): Promise<void> {
    this.calls.delete += 1;
    const item = this.items.get(tenantId);
    if (!item || (expectedRevision !== undefined && item.revision !== expectedRevision)) throw conflict();
    this.items.delete(tenantId);
    announceIntegrationWrite(tenantId);
  }

  async list(options: { limit?: number; pageToken?: string } = {}): Promise<IntegrationPage> {
    this.calls.list += 1;
    const tenants = [...this.items.keys()].sort();
    const start = Number(options.pageToken ?? 0);
    const end = start + (options.limit ?? 100);
    const page = parseIntegrationItems(
      tenants.slice(start, end).map((tenantId) => structuredClone(this.items.get(tenantId) ?? {})),
    );
    return { ...page, ...(end < tenants.length ? { nextPageToken: String(end) } : {}) };
  }
}
