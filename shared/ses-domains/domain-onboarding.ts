import {
  AlreadyExistsException,
  CreateEmailIdentityCommand,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  DeleteEmailIdentityCommand,
  DeleteTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  NotFoundException,
  PutEmailIdentityMailFromAttributesCommand,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import { type IntegrationCard, type IntegrationRecord, toCard } from '../integrations/integration-record.js';
import type { IntegrationStore } from '../integrations/integration-repository.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import { domainOf } from '../providers/email-provider.js';
import { sesTenantName } from '../providers/ses/ses-provider.js';
import type { DnsLookup } from './dns-check.js';
import { allowedRegion, normalizeDomain } from './domain-rules.js';
import type { DomainRecord, DomainStatus, DomainStore, SesDomain, SesDomainItem } from './domain-store.js';
import { SesDomainError } from './ses-domain-error.js';

/** At most this many domains per tenant. */
export const MAX_DOMAINS_PER_TENANT = 10;
/** The SPF record SES asks for on the custom MAIL FROM domain. */
export const MAIL_FROM_SPF = 'v=spf1 include:amazonses.com ~all';
/** The DMARC policy suggested when the domain publishes none. */
export const DMARC_SUGGESTION = 'v=DMARC1; p=none;';

/** What onboarding needs. */
export interface DomainOnboardingDeps {
  store: DomainStore;
  /** The tenant's integration: removing reads it, activating writes it (the other routes have none). */
  integrations?: Pick<IntegrationStore, 'get' | 'create' | 'update'>;
  /** One SES client per region. */
  ses: (region: string) => SESv2Client;
  dns: DnsLookup;
  settings: { accountId: string; configurationSet?: string; regions: readonly string[] };
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
  const identity = await setUpAtSes(deps, tenantId, region, domain);
  const item: SesDomainItem = {
    tenantId,
    domain,
    region,
    status: statusOf(identity),
    records: mergeStatuses(recordsFor(region, domain, identity), existing?.records ?? []),
    createdAt: existing?.createdAt ?? deps.now().toISOString(),
    ...(existing?.verifiedAt ? { verifiedAt: existing.verifiedAt } : {}),
    ...(existing?.lastCheckedAt ? { lastCheckedAt: existing.lastCheckedAt } : {}),
  };
  if (item.status === 'verified' && !item.verifiedAt) item.verifiedAt = deps.now().toISOString();
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

/** Re-reads SES's status and our DNS look-up and stores them on the domain (the scheduled checker uses it too). */
export async function recheck(deps: DomainOnboardingDeps, item: SesDomainItem): Promise<SesDomainItem> {
  const identity = await ses(() =>
    deps.ses(item.region).send(new GetEmailIdentityCommand({ EmailIdentity: item.domain })),
  );
  const now = deps.now().toISOString();
  const records = await deps.dns.check(recordsFor(item.region, item.domain, identity));
  const status = statusOf(identity);
  const checked: SesDomainItem = {
    ...item,
    status,
    // The DMARC suggestion is shown only while the domain publishes no policy of its own.
    records: records.filter((record) => record.purpose !== 'dmarc' || record.status !== 'found'),
    lastCheckedAt: now,
    ...(status === 'verified' && !item.verifiedAt ? { verifiedAt: now } : {}),
  };
  await deps.store.put(checked);
  return checked;
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
  const client = deps.ses(item.region);
  await ses(async () => {
    await ignore(
      NotFoundException,
      client.send(
        new DeleteTenantResourceAssociationCommand({
          TenantName: sesTenantName(tenantId),
          ResourceArn: arn(deps, item.region, `identity/${item.domain}`),
        }),
      ),
    );
    await ignore(NotFoundException, client.send(new DeleteEmailIdentityCommand({ EmailIdentity: item.domain })));
  });
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
  if (!record) {
    return toCard(
      await integrations.create(tenantId, (now) => ({
        provider: 'ses',
        region,
        keyId,
        emails,
        status: 'active',
        keyVersion: 1,
        lastVerifiedAt: now,
      })),
    );
  }
  return toCard(
    await integrations.update(tenantId, record.revision, (now) => switched(record, region, keyId, emails, now)),
  );
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
    parkedSendGrid,
  };
}

/**
 * Idempotent set-up at SES (each step tolerates one done before, so a retry resumes): the SES
 * tenant, the identity with Easy DKIM (RSA 2048) on the configuration set, custom MAIL FROM
 * `bounce.<domain>`, and the associations of the identity and the configuration set with the tenant.
 */
async function setUpAtSes(
  deps: DomainOnboardingDeps,
  tenantId: string,
  region: string,
  domain: string,
): Promise<GetEmailIdentityCommandOutput> {
  const client = deps.ses(region);
  const tenantName = sesTenantName(tenantId);
  const configurationSet = deps.settings.configurationSet;
  return ses(async () => {
    await ignore(AlreadyExistsException, client.send(new CreateTenantCommand({ TenantName: tenantName })));
    await ignore(
      AlreadyExistsException,
      client.send(
        new CreateEmailIdentityCommand({
          EmailIdentity: domain,
          DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
          ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
        }),
      ),
    );
    await client.send(
      new PutEmailIdentityMailFromAttributesCommand({
        EmailIdentity: domain,
        MailFromDomain: `bounce.${domain}`,
        BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
      }),
    );
    const resources = [arn(deps, region, `identity/${domain}`)];
    if (configurationSet) resources.push(arn(deps, region, `configuration-set/${configurationSet}`));
    for (const resourceArn of resources) {
      await ignore(
        AlreadyExistsException,
        client.send(new CreateTenantResourceAssociationCommand({ TenantName: tenantName, ResourceArn: resourceArn })),
      );
    }
    return client.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
  });
}

/** The records to publish: SES's three DKIM CNAMEs, the MAIL FROM MX and SPF, and a DMARC suggestion. */
export function recordsFor(region: string, domain: string, identity: GetEmailIdentityCommandOutput): DomainRecord[] {
  const mailFrom = identity.MailFromAttributes?.MailFromDomain || `bounce.${domain}`;
  const dkim = (identity.DkimAttributes?.Tokens ?? []).map(
    (token): DomainRecord => ({
      purpose: 'dkim',
      type: 'CNAME',
      name: `${token}._domainkey.${domain}`,
      value: `${token}.dkim.amazonses.com`,
      status: 'not_checked',
    }),
  );
  return [
    ...dkim,
    {
      purpose: 'mail_from_mx',
      type: 'MX',
      name: mailFrom,
      value: `10 feedback-smtp.${region}.amazonses.com`,
      status: 'not_checked',
    },
    { purpose: 'mail_from_spf', type: 'TXT', name: mailFrom, value: MAIL_FROM_SPF, status: 'not_checked' },
    { purpose: 'dmarc', type: 'TXT', name: `_dmarc.${domain}`, value: DMARC_SUGGESTION, status: 'not_checked' },
  ];
}

/** SES's verdict on the identity as the domain's status. */
function statusOf(identity: GetEmailIdentityCommandOutput): DomainStatus {
  if (identity.VerifiedForSendingStatus === true && identity.VerificationStatus !== 'FAILED') return 'verified';
  switch (identity.VerificationStatus) {
    case 'SUCCESS':
      return 'verified';
    case 'FAILED':
      return 'failed';
    case 'TEMPORARY_FAILURE':
      return 'temporary_failure';
    default:
      return 'pending';
  }
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

function arn(deps: Pick<DomainOnboardingDeps, 'settings'>, region: string, resource: string): string {
  return `arn:aws:ses:${region}:${deps.settings.accountId}:${resource}`;
}

async function ignore(kind: new (...args: never[]) => Error, call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof kind)) throw error;
  }
}

/** SES failing is upstream_unavailable; our own refusals pass through. */
async function ses<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof SesDomainError) throw error;
    throw new UpstreamUnavailableError('Amazon SES', { cause: error });
  }
}
