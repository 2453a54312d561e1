import { promises as dns } from 'node:dns';
import type { DomainRecord, RecordStatus } from './domain-store.js';

/** Looks records up in DNS, as the tenant's records are seen from outside. */
export interface DnsLookup {
  /** Each record with its status now: found, missing, wrong_value (or not_checked when DNS failed). */
  check(records: readonly DomainRecord[]): Promise<DomainRecord[]>;
}

const ABSENT = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/** Compares names and values the way DNS does: case-insensitive, trailing dot optional. */
const canonical = (value: string) => value.trim().toLowerCase().replace(/\.$/, '');

/**
 * Node's resolver, pointed at `servers` (`DNS_RESOLVERS`; the system's when empty). A record's
 * status is what we see now, so a tenant learns which record is missing or wrong without waiting
 * for SES.
 */
export class ResolverDnsLookup implements DnsLookup {
  private readonly resolver: dns.Resolver;

  constructor(servers: readonly string[] = []) {
    this.resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
    if (servers.length > 0) this.resolver.setServers([...servers]);
  }

  async check(records: readonly DomainRecord[]): Promise<DomainRecord[]> {
    return Promise.all(records.map(async (record) => ({ ...record, status: await this.statusOf(record) })));
  }

  private async statusOf(record: DomainRecord): Promise<RecordStatus> {
    let values: string[];
    try {
      values = await this.lookUp(record);
    } catch (error) {
      return ABSENT.has((error as { code?: string }).code ?? '') ? 'missing' : 'not_checked';
    }
    if (values.length === 0) return 'missing';
    // A DMARC suggestion is satisfied by any DMARC policy the owner chose.
    if (record.purpose === 'dmarc') return values.some((value) => /^v=dmarc1/i.test(value)) ? 'found' : 'missing';
    return values.some((value) => canonical(value) === canonical(record.value)) ? 'found' : 'wrong_value';
  }

  private async lookUp(record: DomainRecord): Promise<string[]> {
    switch (record.type) {
      case 'CNAME':
        return this.resolver.resolveCname(record.name);
      case 'MX':
        return (await this.resolver.resolveMx(record.name)).map((mx) => `${mx.priority} ${mx.exchange}`);
      case 'TXT':
        return (await this.resolver.resolveTxt(record.name)).map((chunks) => chunks.join(''));
    }
  }
}
