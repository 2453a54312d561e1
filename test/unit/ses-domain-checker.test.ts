import {
  CreateTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  ListResourceTenantsCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';
import type { DnsLookup } from '../../shared/ses-domains/dns-check.js';
import { checkDueDomains, type DomainCheckerDeps } from '../../shared/ses-domains/domain-checker.js';
import type { DomainRecord, SesDomainItem } from '../../shared/ses-domains/domain-store.js';
import { nextCheckDelayMs } from '../../shared/ses-domains/domain-watch.js';
import { CREATED, card } from '../support/announced-cards.js';
import { InMemoryDomainStore } from '../support/in-memory-domain-store.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const ses = mockClient(SESv2Client);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const identity = (status: 'PENDING' | 'SUCCESS' | 'TEMPORARY_FAILURE' | 'FAILED'): GetEmailIdentityCommandOutput => ({
  $metadata: {},
  VerificationStatus: status,
  VerifiedForSendingStatus: status === 'SUCCESS' || status === 'TEMPORARY_FAILURE',
  DkimAttributes: { Tokens: ['tok1', 'tok2', 'tok3'], Status: status },
  MailFromAttributes: {
    MailFromDomain: 'bounce.acme.example',
    MailFromDomainStatus: 'SUCCESS',
    BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
  },
});

let now: Date;
let store: InMemoryDomainStore;
let integrations: InMemoryIntegrationStore;
let dnsAnswer: (record: DomainRecord) => DomainRecord['status'];

function deps(): DomainCheckerDeps {
  const dns: DnsLookup = {
    check: async (records) => records.map((record) => ({ ...record, status: dnsAnswer(record) })),
  };
  return {
    store,
    integrations,
    onboarding: new SesProvider({ accountId: '123456789012', configurationSet: 'email-integrations' }).onboarding,
    dns,
    settings: { regions: ['eu-west-1'] },
    now: () => now,
  };
}

/** A domain of tenant-a, as onboarding stored it. */
async function domain(fields: Partial<SesDomainItem> = {}): Promise<void> {
  await store.put({
    tenantId: 'tenant-a',
    domain: 'acme.example',
    region: 'eu-west-1',
    status: 'pending',
    records: [],
    createdAt: CREATED,
    nextCheckAt: '2026-01-01T00:10:00.000Z',
    ...fields,
  });
}

/** tenant-a's active SES card, with the fields given. */
function sesRecord(fields: Partial<IntegrationRecord> = {}): IntegrationRecord {
  return card({ provider: 'ses', region: 'eu-west-1', keyId: 'ei-tenant-a', ...fields });
}

beforeEach(() => {
  ses.reset();
  now = new Date('2026-01-01T00:10:00.000Z');
  store = new InMemoryDomainStore();
  integrations = new InMemoryIntegrationStore({ now: () => now });
  dnsAnswer = () => 'found';
  ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [{ TenantName: 'ei-tenant-a' }] });
  ses.on(GetEmailIdentityCommand).resolves(identity('PENDING'));
});

describe('nextCheckDelayMs', () => {
  it('checks a new domain often, then less as it ages, and never past its 72-hour window', () => {
    const at = (hours: number) => new Date(Date.parse(CREATED) + hours * HOUR);
    const pending = { status: 'pending' as const, createdAt: CREATED };

    expect(nextCheckDelayMs(pending, at(0.5))).toBe(10 * MINUTE);
    expect(nextCheckDelayMs(pending, at(3))).toBe(30 * MINUTE);
    expect(nextCheckDelayMs(pending, at(12))).toBe(HOUR);
    expect(nextCheckDelayMs(pending, at(48))).toBe(2 * HOUR);
    expect(nextCheckDelayMs(pending, at(71.5))).toBe(30 * MINUTE);
  });

  it('re-checks a verified domain hourly, a failed one that had verified every 30 minutes, and drops one that never verified', () => {
    expect(nextCheckDelayMs({ status: 'verified', createdAt: CREATED, verifiedAt: CREATED }, new Date())).toBe(HOUR);
    expect(nextCheckDelayMs({ status: 'failed', createdAt: CREATED, verifiedAt: CREATED }, new Date())).toBe(
      30 * MINUTE,
    );
    expect(nextCheckDelayMs({ status: 'failed', createdAt: CREATED }, new Date())).toBeUndefined();
  });
});

describe('checkDueDomains', () => {
  it('checks only the domains that are due, and writes the verdict, lastCheckedAt and the next check', async () => {
    await domain();
    await store.put({
      tenantId: 'tenant-b',
      domain: 'later.example',
      region: 'eu-west-1',
      status: 'pending',
      records: [],
      createdAt: CREATED,
      nextCheckAt: '2026-01-01T00:20:00.000Z',
    });
    ses.on(GetEmailIdentityCommand).resolves(identity('SUCCESS'));

    const summary = await checkDueDomains(deps());

    expect(summary).toEqual({ checked: 1, changed: { verified: 1 }, unreachable: 0, errors: 0 });
    expect(await store.get('tenant-a', 'acme.example')).toMatchObject({
      status: 'verified',
      verifiedAt: '2026-01-01T00:10:00.000Z',
      lastCheckedAt: '2026-01-01T00:10:00.000Z',
      statusChangedAt: '2026-01-01T00:10:00.000Z',
      nextCheckAt: '2026-01-01T01:10:00.000Z',
    });
    expect((await store.get('tenant-b', 'later.example'))?.lastCheckedAt).toBeUndefined();
  });

  it('keeps a pending domain pending with a growing interval, and marks it failed once 72 hours are over', async () => {
    await domain();
    dnsAnswer = () => 'missing';

    await checkDueDomains(deps());
    expect(await store.get('tenant-a', 'acme.example')).toMatchObject({
      status: 'pending',
      nextCheckAt: '2026-01-01T00:20:00.000Z',
    });

    now = new Date('2026-01-04T00:00:00.000Z');
    const waiting = await store.get('tenant-a', 'acme.example');
    if (!waiting) throw new Error('expected the domain');
    await store.put({ ...waiting, nextCheckAt: now.toISOString() });
    const summary = await checkDueDomains(deps());

    expect(summary.changed).toEqual({ failed: 1 });
    const failed = await store.get('tenant-a', 'acme.example');
    expect(failed).toMatchObject({ status: 'failed', statusChangedAt: '2026-01-04T00:00:00.000Z' });
    expect(failed?.nextCheckAt).toBeUndefined();
    expect(await store.due(undefined, 10)).toEqual([]);
  });

  it('turns the card domain_failed when a verified domain’s DKIM records are removed, and active again once it verifies', async () => {
    await domain({ status: 'verified', verifiedAt: CREATED });
    integrations.seed(sesRecord());
    ses.on(GetEmailIdentityCommand).resolves(identity('TEMPORARY_FAILURE'));
    dnsAnswer = (record) => (record.purpose === 'dkim' ? 'missing' : 'found');

    await checkDueDomains(deps());

    expect((await store.get('tenant-a', 'acme.example'))?.status).toBe('failed');
    expect(integrations.peek('tenant-a')).toMatchObject({ status: 'domain_failed', failedDomains: ['acme.example'] });

    now = new Date('2026-01-01T01:00:00.000Z');
    ses.on(GetEmailIdentityCommand).resolves(identity('SUCCESS'));
    dnsAnswer = () => 'found';
    await checkDueDomains(deps(), { all: true });

    expect((await store.get('tenant-a', 'acme.example'))?.status).toBe('verified');
    const card = integrations.peek('tenant-a');
    expect(card?.status).toBe('active');
    expect(card?.failedDomains).toBeUndefined();
  });

  it('leaves the card alone when SES still sends for a verified domain whose records it cannot see for a moment', async () => {
    await domain({ status: 'verified', verifiedAt: CREATED });
    integrations.seed(sesRecord());
    ses.on(GetEmailIdentityCommand).resolves(identity('TEMPORARY_FAILURE'));
    dnsAnswer = () => 'not_checked';

    await checkDueDomains(deps());

    expect((await store.get('tenant-a', 'acme.example'))?.status).toBe('temporary_failure');
    expect(integrations.peek('tenant-a')?.status).toBe('active');
  });

  it('goes on past a domain SES cannot be asked about, which stays due', async () => {
    await domain();
    await domain({ domain: 'beta.example', nextCheckAt: '2026-01-01T00:05:00.000Z' });
    ses.on(GetEmailIdentityCommand, { EmailIdentity: 'beta.example' }).rejects(new Error('socket hang up'));

    const summary = await checkDueDomains(deps());

    expect(summary).toMatchObject({ checked: 2, unreachable: 1 });
    expect((await store.get('tenant-a', 'acme.example'))?.lastCheckedAt).toBe('2026-01-01T00:10:00.000Z');
    expect((await store.get('tenant-a', 'beta.example'))?.nextCheckAt).toBe('2026-01-01T00:05:00.000Z');
    expect(ses.commandCalls(CreateTenantResourceAssociationCommand)).toHaveLength(0);
  });

  it('does not bring back a domain the tenant removed while it was being checked', async () => {
    await domain();
    ses.on(GetEmailIdentityCommand).callsFake(async () => {
      await store.delete('tenant-a', 'acme.example');
      return identity('SUCCESS');
    });

    await checkDueDomains(deps());

    expect(await store.get('tenant-a', 'acme.example')).toBeUndefined();
  });
});
