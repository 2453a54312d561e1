import { isIPv4 } from 'node:net';
import { type DnsAnswer, RCODE, RECORD_TYPES, type RecordType } from './dns-wire.js';

/** A record as published: MX values are `"<preference> <host>"` (or just the host: preference 10). */
export interface DnsRecord {
  type: RecordType;
  name: string;
  value: string;
  ttl: number;
}

/** A record to publish; `ttl` defaults to 300 seconds. */
export type NewDnsRecord = Omit<DnsRecord, 'ttl'> & { ttl?: number };

/** Which records to remove: every field given must match. */
export interface DnsRecordFilter {
  type?: RecordType;
  name?: string;
  value?: string;
}

/** The answer to one question. */
export interface DnsLookup {
  rcode: number;
  answers: DnsAnswer[];
}

/** Why a record was refused; `reason` picks the control endpoint's status. */
export class DnsZoneError extends Error {
  override readonly name = 'DnsZoneError';

  constructor(
    readonly reason: 'invalid' | 'conflict',
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
const MX_VALUE = /^(?:(\d{1,5})\s+)?(\S+)$/;
const MAX_CNAME_CHAIN = 8;

/** Lower case, no trailing dot: names compare as DNS compares them. */
export function canonicalName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Whether a text is a DNS name we can serve (LDH labels, underscores allowed for `_dmarc` and the like). */
export function isDnsName(name: string): boolean {
  const canonical = canonicalName(name);
  return canonical.length > 0 && canonical.length <= 253 && canonical.split('.').every((label) => LABEL.test(label));
}

/**
 * The records a tiny authoritative server serves. Every name not in it (and not an ancestor
 * of one) is NXDOMAIN; a name with other records but none of the asked type is NODATA.
 */
export class DnsZone {
  private records: DnsRecord[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(initial: DnsRecord[] = []) {
    for (const record of initial) this.add(record);
  }

  /** Publishes a record; the same record again is a no-op. A CNAME shares its name with nothing else. */
  add(input: NewDnsRecord): DnsRecord {
    const record = validRecord(input);
    const existing = this.records.find(
      (entry) => entry.type === record.type && entry.name === record.name && entry.value === record.value,
    );
    if (existing) return { ...existing };
    const atName = this.records.filter((entry) => entry.name === record.name);
    if (atName.length > 0 && (record.type === 'CNAME' || atName.some((entry) => entry.type === 'CNAME'))) {
      throw new DnsZoneError(
        'conflict',
        `${record.name} already has ${atName.map((entry) => entry.type).join(', ')} records; a CNAME shares its name with no other record. Remove them first.`,
        'name',
      );
    }
    this.records.push(record);
    this.changed();
    return { ...record };
  }

  /** Removes the records matching every given field (all records when the filter is empty); returns how many. */
  remove(filter: DnsRecordFilter = {}): number {
    const name = filter.name === undefined ? undefined : canonicalName(filter.name);
    const matches = (record: DnsRecord) =>
      (filter.type === undefined || record.type === filter.type) &&
      (name === undefined || record.name === name) &&
      (filter.value === undefined || record.value === normalValue(record.type, filter.value));
    const before = this.records.length;
    this.records = this.records.filter((record) => !matches(record));
    const removed = before - this.records.length;
    if (removed > 0) this.changed();
    return removed;
  }

  /** Copies of the records, in publishing order. */
  list(): DnsRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  /** Calls `listener` after every change; returns a function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Answers a question as an authoritative server for every name would, following CNAMEs inside the zone. */
  lookup(name: string, type: number): DnsLookup {
    const answers: DnsAnswer[] = [];
    let current = canonicalName(name);
    for (let hops = 0; hops <= MAX_CNAME_CHAIN; hops += 1) {
      const atName = this.records.filter((record) => record.name === current);
      const cname = atName.find((record) => record.type === 'CNAME');
      if (cname && type !== RECORD_TYPES.CNAME) {
        answers.push(toAnswer(cname));
        current = cname.value;
        continue;
      }
      const matching = atName.filter((record) => RECORD_TYPES[record.type] === type);
      answers.push(...matching.map(toAnswer));
      if (answers.length > 0 || this.nameExists(current)) return { rcode: RCODE.noError, answers };
      return { rcode: RCODE.nameError, answers };
    }
    return { rcode: RCODE.serverFailure, answers: [] };
  }

  private nameExists(name: string): boolean {
    return this.records.some((record) => record.name === name || record.name.endsWith(`.${name}`));
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

function validRecord(input: NewDnsRecord): DnsRecord {
  if (!(input.type in RECORD_TYPES)) {
    throw new DnsZoneError('invalid', 'type must be one of A, CNAME, MX, TXT.', 'type');
  }
  if (typeof input.name !== 'string' || !isDnsName(input.name)) {
    throw new DnsZoneError('invalid', 'name must be a DNS name such as "sel._domainkey.acme.example".', 'name');
  }
  if (typeof input.value !== 'string' || input.value.trim() === '') {
    throw new DnsZoneError('invalid', 'value must be a non-empty string.', 'value');
  }
  const ttl = input.ttl ?? 300;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 86_400) {
    throw new DnsZoneError('invalid', 'ttl must be an integer from 0 to 86400.', 'ttl');
  }
  const value = normalValue(input.type, input.value);
  const valid =
    input.type === 'A'
      ? isIPv4(value)
      : input.type === 'CNAME'
        ? isDnsName(value)
        : input.type === 'MX'
          ? isMxValue(value)
          : value.length <= 4_000;
  if (!valid) {
    const expected = {
      A: 'an IPv4 address',
      CNAME: 'a DNS name',
      MX: '"<preference> <host>", e.g. "10 feedback-smtp.eu-west-1.amazonses.com"',
      TXT: 'at most 4000 characters',
    }[input.type];
    throw new DnsZoneError('invalid', `A ${input.type} value must be ${expected}.`, 'value');
  }
  return { type: input.type, name: canonicalName(input.name), value, ttl };
}

/** The stored form of a value: names canonical, MX with its preference spelled out. */
function normalValue(type: RecordType, value: string): string {
  const trimmed = value.trim();
  if (type === 'CNAME') return canonicalName(trimmed);
  if (type === 'MX') {
    const match = MX_VALUE.exec(trimmed);
    return match ? `${match[1] ?? '10'} ${canonicalName(match[2] ?? '')}` : trimmed;
  }
  return type === 'TXT' ? value : trimmed;
}

function isMxValue(value: string): boolean {
  const match = MX_VALUE.exec(value);
  return match !== null && Number(match[1]) <= 65_535 && isDnsName(match[2] ?? '');
}

function toAnswer(record: DnsRecord): DnsAnswer {
  if (record.type === 'MX') {
    const [preference, exchange] = record.value.split(' ');
    return {
      name: record.name,
      type: 'MX',
      ttl: record.ttl,
      data: { preference: Number(preference), exchange: exchange ?? '' },
    };
  }
  return { name: record.name, type: record.type, ttl: record.ttl, data: record.value };
}
