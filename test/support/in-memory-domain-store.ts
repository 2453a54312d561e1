import type { DomainStore, SesDomainItem } from '../../shared/ses-domains/domain-store.js';

/** {@link DomainStore} in memory, for unit tests. */
export class InMemoryDomainStore implements DomainStore {
  readonly items = new Map<string, SesDomainItem>();
  readonly claims = new Map<string, string>();

  async get(tenantId: string, domain: string) {
    const item = this.items.get(`${tenantId}/${domain}`);
    return item ? structuredClone(item) : undefined;
  }
  async list(tenantId: string) {
    return [...this.items.values()].filter((item) => item.tenantId === tenantId).map((item) => structuredClone(item));
  }
  async put(item: SesDomainItem) {
    this.items.set(`${item.tenantId}/${item.domain}`, structuredClone(item));
  }
  async replace(item: SesDomainItem) {
    if (!this.items.has(`${item.tenantId}/${item.domain}`)) return false;
    await this.put(item);
    return true;
  }
  async due(before: string | undefined, limit: number) {
    return [...this.items.values()]
      .filter((item) => item.nextCheckAt !== undefined && (before === undefined || item.nextCheckAt <= before))
      .sort((a, b) => (a.nextCheckAt ?? '').localeCompare(b.nextCheckAt ?? ''))
      .slice(0, limit)
      .map((item) => structuredClone(item));
  }
  async delete(tenantId: string, domain: string) {
    this.items.delete(`${tenantId}/${domain}`);
  }
  async claim(domain: string, tenantId: string) {
    const holder = this.claims.get(domain);
    if (holder !== undefined && holder !== tenantId) return false;
    this.claims.set(domain, tenantId);
    return true;
  }
  async release(domain: string, tenantId: string) {
    if (this.claims.get(domain) === tenantId) this.claims.delete(domain);
  }
}
