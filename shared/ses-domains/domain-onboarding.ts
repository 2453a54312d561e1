import { type IntegrationCard, type IntegrationRecord, toCard } from '../integrations/integration-record.js';
import { type IntegrationStore, IntegrationStoreError } from '../integrations/integration-repository.js';
import type { IntegrationStatusEvents } from '../outcome-events/outcome-events.js';
import {
  type DomainOnboarding,
  DomainUnavailableError,
  domainOf,
  type OnboardedDomain,
} from '../providers/email-provider.js';
import { sesTenantName } from '../providers/ses/ses-resources.js';
import type { DnsLookup } from './dns-check.js';
import { allowedRegion, normalizeDomain } from './domain-rules.js';
import type { DomainRecord, DomainStore, SesDomain, SesDomainItem } from './domain-store.js';
import { judgeStatus, nextCheckAt } from './domain-watch.js';
import { SesDomainError } from './ses-domain-error.js';

/** At most this many domains per tenant. */
export const MAX_DOMAINS_PER_TENANT = 10;
/** The DMARC policy suggested when the domain publishes none. */
export const DMARC_SUGGESTION = 'v=DMARC1; p=none;';

/** What onboarding needs. */
export interface DomainOnboardingDeps {
  store: DomainStore;
  /**
   * The tenant's integration: removing reads it, activating writes it, checking carries a domain
   * that failed (or recovered) to the card (without it, checks leave the card alone).
   */
  integrations?: Pick<IntegrationStore, 'get' | 'create' | 'update'>;
  /** Told each change of a card's status a domain check or an activation wrote (none: not announced). */
  statusEvents?: IntegrationStatusEvents;
  /**
   * The provider's onboarding (Amazon SES): the one implementation of the set-up steps, which
   * `npm run ops -- migrate` runs too.
   */
  onboarding: DomainOnboarding;
  dns: DnsLookup;
  /** Allowed regions; `checkScale` multiplies the scheduled checker's intervals (the local runtime compresses them). */
  settings: { regions: readonly string[]; checkScale?: number };
  now: () => Date;
}

/** Adds a domain: 201 with its records; 200 with the same when the tenant already has it (and resumes its set-up). */
export async function addDomain(
  deps: DomainOnboardingDeps,
  tenantId: string,
  input: { domain: string; region?: string },
): Promise<{ created: boolean; domain: SesDomain }> {
  const domain = normalizeDomain(input.domain);
  const existing = await deps.store.get(tenantId, domain);
  const region = existing?.region ?? allowedRegion(input.region, deps.settings.regions);
  if (!existing) {
    const held = await deps.store.list(tenantId);
    if (held.length >= MAX_DOMAINS_PER_TENANT) {
      throw new SesDomainError(
        'domain_limit_reached',
        `This tenant already has ${MAX_DOMAINS_PER_TENANT} domains, the most allowed. Remove one you no longer use first.`,
      );
    }
  }
  if (!(await deps.store.claim(domain, tenantId))) throw unavailable(domain);
  const onboarded = await setUp(deps, tenantId, region, domain);
  const item: SesDomainItem = {
    tenantId,
    domain,
    region,
    status: onboarded.status,
    records: mergeStatuses(recordsFor(onboarded), existing?.records ?? []),
    createdAt: existing?.createdAt ?? deps.now().toISOString(),
    ...(existing?.verifiedAt ? { verifiedAt: existing.verifiedAt } : {}),
    ...(existing?.lastCheckedAt ? { lastCheckedAt: existing.lastCheckedAt } : {}),
  };
  if (item.status === 'verified' && !item.verifiedAt) item.verifiedAt = deps.now().toISOString();
  if (existing && existing.status !== item.status) item.statusChangedAt = deps.now().toISOString();
  // Watched by the scheduled checker from now on (a domain that had failed is watched again).
  const next = nextCheckAt(item, deps.now(), deps.settings.checkScale);
  if (next) item.nextCheckAt = next;
  await deps.store.put(item);
  return { created: !existing, domain: view(item) };
}

/** The tenant's domains, oldest first. */
export async function listDomains(deps: Pick<DomainOnboardingDeps, 'store'>, tenantId: string): Promise<SesDomain[]> {
  return (await deps.store.list(tenantId)).map(view);
}

/** One of the tenant's domains. */
export async function getDomain(
  deps: Pick<DomainOnboardingDeps, 'store'>,
  tenantId: string,
  domainInput: string,
): Promise<SesDomain> {
  return view(await requireDomain(deps, tenantId, domainInput));
}

/** Checks now: SES's verdict on the identity, and each record in DNS as we see it. */
export async function checkDomain(
  deps: DomainOnboardingDeps,
  tenantId: string,
  domainInput: string,
): Promise<SesDomain> {
  return view(await recheck(deps, await requireDomain(deps, tenantId, domainInput)));
}

/**
 * Re-reads SES's status and our DNS look-up and stores them on the domain with its next check
 * (the "Check now" route and the scheduled checker both use it); a domain that failed or
 * recovered is carried to the tenant's card.
 */
export async function recheck(deps: DomainOnboardingDeps, item: SesDomainItem): Promise<SesDomainItem> {
  const onboarded = await deps.onboarding.status({ region: item.region, tenantId: item.tenantId }, item.domain);
  const clock = deps.now();
  const now = clock.toISOString();
  // The item is stored only after the set-up finished, so an identity that is no longer the
  // tenant's at SES was deleted or taken away there: it cannot send, and adding it again resumes it.
  const records = onboarded ? await deps.dns.check(recordsFor(onboarded)) : item.records;
  const status = judgeStatus(item, onboarded?.status ?? 'failed', records, clock);
  const { nextCheckAt: _previous, ...rest } = item;
  const checked: SesDomainItem = {
    ...rest,
    status,
    // The DMARC suggestion is shown only while the domain publishes no policy of its own.
    records: records.filter((record) => record.purpose !== 'dmarc' || record.status !== 'found'),
    lastCheckedAt: now,
    ...(status === 'verified' && !item.verifiedAt ? { verifiedAt: now } : {}),
    ...(status === item.status ? {} : { statusChangedAt: now }),
  };
  const next = nextCheckAt(checked, clock, deps.settings.checkScale);
  if (next) checked.nextCheckAt = next;
  // Removed meanwhile (the tenant deleted it): nothing to write, and nothing for the card.
  if (!(await deps.store.replace(checked))) return checked;
  await carryToCard(deps, checked);
  return checked;
}

/**
 * The card follows its domains: a domain with registered senders that failed (records removed,
 * or SES gave up on it) is added to the card's `failedDomains` and turns it `domain_failed`
 * (sends from those senders are refused before SES would refuse them); one that verifies again
 * is taken off, and the card is `active` again once none is left. A status change is announced
 * (`Email Integration Status Changed`, cause `domain_check`) after the card is written.
 */
async function carryToCard(deps: DomainOnboardingDeps, item: SesDomainItem): Promise<void> {
  if (!deps.integrations) return;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const record = await deps.integrations.get(item.tenantId);
    if (record?.provider !== 'ses') return;
    const failed = new Set(record.failedDomains ?? []);
    const hasSenders = record.emails.some((email) => domainOf(email) === item.domain);
    if (item.status === 'failed' && hasSenders) failed.add(item.domain);
    else if (item.status === 'verified' || !hasSenders) failed.delete(item.domain);
    const failedDomains = [...failed].sort();
    if (failedDomains.join() === (record.failedDomains ?? []).join()) return;
    const status =
      failedDomains.length > 0 ? 'domain_failed' : record.status === 'domain_failed' ? 'active' : record.status;
    let updated: IntegrationRecord;
    try {
      updated = await deps.integrations.update(item.tenantId, record.revision, {
        failedDomains: failedDomains.length > 0 ? failedDomains : undefined,
        status,
      });
    } catch (error) {
      // The tenant changed the integration meanwhile: read it again and decide again.
      if (!(error instanceof IntegrationStoreError)) throw error;
      continue;
    }
    if (status !== record.status) {
      await deps.statusEvents?.changed({
        tenantId: item.tenantId,
        provider: record.provider,
        status,
        previousStatus: record.status,
        cause: 'domain_check',
        card: updated,
      });
    }
    return;
  }
}

/** Removes a domain the tenant no longer sends from; refused while a registered SES sender is at it. */
export async function removeDomain(deps: DomainOnboardingDeps, tenantId: string, domainInput: string): Promise<void> {
  const item = await requireDomain(deps, tenantId, domainInput);
  const record = await integrationsOf(deps).get(tenantId);
  const senders = record?.provider === 'ses' ? record.emails.filter((email) => domainOf(email) === item.domain) : [];
  if (senders.length > 0) {
    throw new SesDomainError(
      'domain_in_use',
      `${item.domain} still has registered senders (${senders.join(', ')}). Change the senders first, then remove the domain.`,
      { extensions: { emails: senders } },
    );
  }
  await deps.onboarding.remove({ region: item.region, tenantId }, item.domain);
  await deps.store.delete(tenantId, item.domain);
  await deps.store.release(item.domain, tenantId);
}

/**
 * The click: the tenant sends through Amazon SES from these senders, each at one of its own
 * domains that SES has verified. A SendGrid key is kept (parked) for the way back.
 */
export async function activateSes(
  deps: DomainOnboardingDeps,
  tenantId: string,
  input: { emails: string[] },
): Promise<IntegrationCard> {
  const emails = input.emails.map((email) => email.toLowerCase());
  const domains = new Map((await deps.store.list(tenantId)).map((item) => [item.domain, item]));
  const verified = new Map<string, SesDomainItem>();
  for (const name of new Set(emails.map(domainOf))) {
    const item = domains.get(name);
    if (item) {
      const checked = await recheck(deps, item);
      if (checked.status === 'verified') verified.set(name, checked);
    }
  }
  const stranded = emails.filter((email) => !verified.has(domainOf(email)));
  if (stranded.length > 0) {
    throw new SesDomainError(
      'sender_not_authenticated',
      `${stranded.join(', ')} ${stranded.length === 1 ? 'is' : 'are'} not at one of this tenant's domains verified in Amazon SES (verified: ${
        [...domains.values()]
          .filter((item) => item.status === 'verified')
          .map((item) => item.domain)
          .join(', ') || 'none'
      }). Add the domain and publish its DNS records first.`,
      { extensions: { emails: stranded, field: 'emails' } },
    );
  }
  const regions = new Set([...verified.values()].map((item) => item.region));
  const [region] = regions;
  if (regions.size !== 1 || region === undefined) {
    throw new SesDomainError(
      'sender_not_authenticated',
      `The senders are at domains in different Amazon SES regions (${[...regions].join(', ')}); pick senders at domains of one region.`,
      { extensions: { field: 'emails' } },
    );
  }
  const keyId = sesTenantName(tenantId);
  const integrations = integrationsOf(deps);
  const record = await integrations.get(tenantId);
  const activated = record
    ? await integrations.update(tenantId, record.revision, (now) => switched(record, region, keyId, emails, now))
    : await integrations.create(tenantId, (now) => ({
        provider: 'ses',
        region,
        keyId,
        emails,
        status: 'active',
        keyVersion: 1,
        lastVerifiedAt: now,
      }));
  await announceActivation(deps, record, activated);
  return toCard(activated);
}

/**
 * Announces what the activation changed for automations: a card created, a switch of provider
 * (SendGrid → SES, even when both are `active`: mail now leaves through another provider) or a
 * status lifted. Re-activating an SES card that was already `active` is no change.
 */
async function announceActivation(
  deps: DomainOnboardingDeps,
  before: IntegrationRecord | undefined,
  after: IntegrationRecord,
): Promise<void> {
  if (before && before.provider === after.provider && before.status === after.status) return;
  await deps.statusEvents?.changed({
    tenantId: after.tenantId,
    provider: after.provider,
    status: after.status,
    previousStatus: before?.status ?? null,
    cause: 'ses_activated',
    card: after,
  });
}

function switched(record: IntegrationRecord, region: string, keyId: string, emails: string[], now: string) {
  const parkedSendGrid =
    record.provider === 'sendgrid' && record.secret
      ? { region: record.region, keyId: record.keyId, keyVersion: record.keyVersion, secret: record.secret }
      : record.parkedSendGrid;
  return {
    provider: 'ses' as const,
    region,
    keyId,
    emails,
    status: 'active' as const,
    lastVerifiedAt: now,
    secret: undefined,
    lastSendError: undefined,
    // Every sender is at a domain verified just now.
    failedDomains: undefined,
    parkedSendGrid,
  };
}

/** The provider's idempotent set-up (see {@link DomainOnboarding.start}); another tenant's domain is refused. */
async function setUp(
  deps: DomainOnboardingDeps,
  tenantId: string,
  region: string,
  domain: string,
): Promise<OnboardedDomain> {
  try {
    return await deps.onboarding.start({ region, tenantId }, domain);
  } catch (error) {
    if (error instanceof DomainUnavailableError) throw unavailable(domain);
    throw error;
  }
}

/** The records to publish: the provider's (three DKIM CNAMEs, the MAIL FROM MX and SPF), and a DMARC suggestion. */
export function recordsFor(onboarded: OnboardedDomain): DomainRecord[] {
  return [
    ...onboarded.records.map((record): DomainRecord => ({ ...record, status: 'not_checked' })),
    {
      purpose: 'dmarc',
      type: 'TXT',
      name: `_dmarc.${onboarded.domain}`,
      value: DMARC_SUGGESTION,
      status: 'not_checked',
    },
  ];
}

/** Keeps the statuses of records already checked when the same records are built again. */
function mergeStatuses(records: DomainRecord[], previous: DomainRecord[]): DomainRecord[] {
  return records.map((record) => {
    const before = previous.find(
      (old) => old.name === record.name && old.type === record.type && old.value === record.value,
    );
    return before ? { ...record, status: before.status } : record;
  });
}

function view(item: SesDomainItem): SesDomain {
  return {
    domain: item.domain,
    region: item.region,
    status: item.status,
    records: item.records,
    createdAt: item.createdAt,
    ...(item.verifiedAt ? { verifiedAt: item.verifiedAt } : {}),
    ...(item.lastCheckedAt ? { lastCheckedAt: item.lastCheckedAt } : {}),
    ...(item.statusChangedAt ? { statusChangedAt: item.statusChangedAt } : {}),
    ...(item.nextCheckAt ? { nextCheckAt: item.nextCheckAt } : {}),
  };
}

async function requireDomain(
  deps: Pick<DomainOnboardingDeps, 'store'>,
  tenantId: string,
  domainInput: string,
): Promise<SesDomainItem> {
  let domain: string;
  try {
    domain = normalizeDomain(decodeURIComponent(domainInput));
  } catch {
    domain = '';
  }
  const item = domain ? await deps.store.get(tenantId, domain) : undefined;
  if (!item) {
    throw new SesDomainError(
      'domain_not_found',
      `This tenant has no Amazon SES domain ${domainInput.slice(0, 100)}. Add it first with POST /integrations/ses/domains.`,
    );
  }
  return item;
}

function integrationsOf(deps: DomainOnboardingDeps): NonNullable<DomainOnboardingDeps['integrations']> {
  if (!deps.integrations) throw new Error('This route was built without the integration table.');
  return deps.integrations;
}

function unavailable(domain: string): SesDomainError {
  return new SesDomainError(
    'domain_unavailable',
    `${domain} cannot be added: it is already in use for sending on this platform. If it is yours, contact support.`,
    { extensions: { field: 'domain' } },
  );
}
