import type { EnvelopeCipher } from '../crypto/envelope.js';
import { EnvelopeError } from '../crypto/envelope.js';
import { mapBounded } from '../map-bounded.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import {
  CredentialsProblem,
  type EmailProvider,
  type ProviderName,
  type SenderDomain,
  sendersOutside,
} from '../providers/email-provider.js';
import { type IntegrationRecord, type IntegrationStatus, secretContext } from './integration-record.js';
import { type IntegrationStore, IntegrationStoreError } from './integration-repository.js';

/**
 * What re-verifying one integration found: a status it wrote onto the card, or why it could
 * not tell (`unreachable`: the provider failed; `unreadable`: the stored item or key cannot be
 * read; `changed_meanwhile`: the tenant changed the integration while it was being checked).
 */
export type HealthOutcome = IntegrationStatus | 'unreachable' | 'unreadable' | 'changed_meanwhile';

/**
 * Which integrations a run checks: `all` (daily), or only `blocked` ones (`key_rejected`,
 * every 15 minutes), so a tenant whose key works again is unblocked soon.
 */
export type HealthCheckScope = 'all' | 'blocked';

/** Statuses the `blocked` scope re-checks: they stop the tenant's mail until cleared. */
export const BLOCKED_STATUSES: ReadonlySet<IntegrationStatus> = new Set(['key_rejected']);

export interface HealthCheckSummary {
  checked: number;
  outcomes: Partial<Record<HealthOutcome, number>>;
}

/** What a health check needs from each provider: verify pasted-key credentials where it can, else its domains. */
export type CheckedProviders = Readonly<Record<ProviderName, Pick<EmailProvider, 'verify' | 'senderDomains'>>>;

export interface HealthCheckDeps {
  repository: Pick<IntegrationStore, 'list' | 'update'>;
  cipher: Pick<EnvelopeCipher, 'decrypt'>;
  /** The provider registry: each integration is checked with its own provider. */
  providers: CheckedProviders;
  /** Integrations checked at once: bounds provider and KMS load. */
  concurrency?: number;
  pageSize?: number;
  /** Told each tenant's outcome (the function counts them as metrics). */
  onOutcome?: (outcome: HealthOutcome, tenantId: string) => void;
}

const CREDENTIAL_CODES_TO_STATUS: Record<string, IntegrationStatus> = {
  key_rejected: 'key_rejected',
  invalid_key_format: 'key_rejected',
  missing_scopes: 'scopes_changed',
  excess_scopes: 'scopes_changed',
  billing_key: 'scopes_changed',
  no_authenticated_domain: 'sender_unauthenticated',
};

/**
 * The health check: re-verifies every stored integration (or, with scope `blocked`, only the
 * blocked ones) with its own provider — credentials still accepted, permissions unchanged,
 * registered senders still at the tenant's valid domains — and writes the result onto the card
 * (`status`, `lastVerifiedAt`). Pages through the table and checks a bounded number at a time.
 * A write is conditional on the revision read, so a tenant's own change made meanwhile always
 * wins. One tenant's trouble (an unreadable item, a failing provider) never stops the run.
 */
export async function runHealthCheck(
  deps: HealthCheckDeps,
  options: { scope?: HealthCheckScope } = {},
): Promise<HealthCheckSummary> {
  const summary: HealthCheckSummary = { checked: 0, outcomes: {} };
  const count = (outcome: HealthOutcome, tenantId: string) => {
    summary.checked += 1;
    summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
    deps.onOutcome?.(outcome, tenantId);
  };
  let pageToken: string | undefined;
  do {
    const page = await deps.repository.list({ limit: deps.pageSize ?? 100, ...(pageToken ? { pageToken } : {}) });
    const blockedOnly = options.scope === 'blocked';
    const records = blockedOnly ? page.records.filter((record) => BLOCKED_STATUSES.has(record.status)) : page.records;
    const outcomes = await mapBounded(records, deps.concurrency ?? 4, (record) => checkIntegration(deps, record));
    records.forEach((record, index) => {
      count(outcomes[index] as HealthOutcome, record.tenantId);
    });
    // A damaged item is that tenant's trouble only: counted (by the full run), and the run goes on.
    if (!blockedOnly) for (const tenantId of page.unreadable) count('unreadable', tenantId);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return summary;
}

/** Re-verifies one integration and records the result; never throws for one tenant's trouble. */
export async function checkIntegration(deps: HealthCheckDeps, record: IntegrationRecord): Promise<HealthOutcome> {
  let status: IntegrationStatus;
  try {
    const domains = await currentDomains(deps, record);
    status = sendersOutside(record.emails, domains).length > 0 ? 'sender_unauthenticated' : 'active';
  } catch (error) {
    if (error instanceof CredentialsProblem && CREDENTIAL_CODES_TO_STATUS[error.code]) {
      status = CREDENTIAL_CODES_TO_STATUS[error.code] as IntegrationStatus;
    } else if (error instanceof EnvelopeError) {
      return 'unreadable';
    } else if (error instanceof UpstreamUnavailableError) {
      return 'unreachable';
    } else {
      throw error;
    }
  }
  try {
    await deps.repository.update(record.tenantId, record.revision, (now) => ({
      status,
      lastVerifiedAt: now,
      // A key that works again clears the last send error with the status it caused.
      ...(status === 'active' ? { lastSendError: undefined } : {}),
    }));
  } catch (error) {
    if (error instanceof IntegrationStoreError) return 'changed_meanwhile';
    if (error instanceof UpstreamUnavailableError) return 'unreachable';
    throw error;
  }
  return status;
}

/**
 * The domains the integration can send from now, asked of its own provider: with a stored key,
 * the full credential check where the provider has one (it also catches changed permissions).
 */
async function currentDomains(deps: HealthCheckDeps, record: IntegrationRecord): Promise<SenderDomain[]> {
  const provider = deps.providers[record.provider];
  const account = { region: record.region, tenantId: record.tenantId };
  if (!record.secret) return provider.senderDomains(account);
  const apiKey = await deps.cipher.decrypt(record.secret, secretContext(record.tenantId, record.provider));
  if (provider.verify) return (await provider.verify({ apiKey, region: record.region })).domains;
  return provider.senderDomains({ ...account, apiKey });
}
