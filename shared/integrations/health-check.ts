import type { EnvelopeCipher } from '../crypto/envelope.js';
import { EnvelopeError } from '../crypto/envelope.js';
import { mapBounded } from '../map-bounded.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import { type EmailProvider, validDomainNames } from '../providers/email-provider.js';
import { KeyVerificationError } from '../providers/sendgrid/sendgrid-provider.js';
import { type IntegrationRecord, type IntegrationStatus, secretContext } from './integration-record.js';
import { type IntegrationStore, IntegrationStoreError } from './integration-repository.js';

/**
 * What re-verifying one integration found: a status it wrote onto the card, or why it could
 * not tell (`unreachable`: SendGrid failed; `unreadable`: the stored key does not decrypt;
 * `changed_meanwhile`: the tenant changed the integration while it was being checked).
 */
export type HealthOutcome = IntegrationStatus | 'unreachable' | 'unreadable' | 'changed_meanwhile';

/** Reads a provider's sending domains for integrations that hold no key (SES). */
export interface KeylessDomains {
  listSenderDomains(region: string): Promise<Array<{ domain: string; valid: boolean }>>;
}

export interface HealthCheckSummary {
  checked: number;
  outcomes: Partial<Record<HealthOutcome, number>>;
}

export interface HealthCheckDeps {
  repository: Pick<IntegrationStore, 'list' | 'update'>;
  cipher: Pick<EnvelopeCipher, 'decrypt'>;
  provider: Pick<EmailProvider, 'verify'>;
  /** Amazon SES, for tenants moved there: their senders are checked against SES's verified domains. */
  ses?: KeylessDomains;
  /** Integrations checked at once: bounds SendGrid and KMS load. */
  concurrency?: number;
  pageSize?: number;
  /** Told each tenant's outcome (the function counts them as metrics). */
  onOutcome?: (outcome: HealthOutcome, tenantId: string) => void;
}

const KEY_CODES_TO_STATUS: Record<string, IntegrationStatus> = {
  key_rejected: 'key_rejected',
  invalid_key_format: 'key_rejected',
  missing_scopes: 'scopes_changed',
  excess_scopes: 'scopes_changed',
  billing_key: 'scopes_changed',
  no_authenticated_domain: 'sender_unauthenticated',
};

/**
 * The daily health check: re-verifies every stored integration with its own key — key still
 * accepted, scopes unchanged, same region, registered senders still at valid authenticated
 * domains — and writes the result onto the card (`status`, `lastVerifiedAt`). Pages through
 * the table and checks a bounded number at a time. A write is conditional on the revision
 * read, so a tenant's own change made meanwhile always wins.
 */
export async function runHealthCheck(deps: HealthCheckDeps): Promise<HealthCheckSummary> {
  const summary: HealthCheckSummary = { checked: 0, outcomes: {} };
  let pageToken: string | undefined;
  do {
    const page = await deps.repository.list({ limit: deps.pageSize ?? 100, ...(pageToken ? { pageToken } : {}) });
    const outcomes = await mapBounded(page.records, deps.concurrency ?? 4, (record) => checkIntegration(deps, record));
    const tally = (outcome: HealthOutcome, tenantId: string) => {
      summary.checked += 1;
      summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
      deps.onOutcome?.(outcome, tenantId);
    };
    page.records.forEach((record, index) => {
      tally(outcomes[index] as HealthOutcome, record.tenantId);
    });
    // A damaged item is that tenant's trouble only: counted, and the run goes on.
    for (const tenantId of page.unreadable) tally('unreadable', tenantId);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return summary;
}

/** Re-verifies one integration and records the result; never throws for one tenant's trouble. */
export async function checkIntegration(deps: HealthCheckDeps, record: IntegrationRecord): Promise<HealthOutcome> {
  let status: IntegrationStatus;
  try {
    let domains: Array<{ domain: string; valid: boolean }>;
    if (record.provider === 'ses' || !record.secret) {
      if (!deps.ses) return 'unreachable';
      domains = await deps.ses.listSenderDomains(record.region);
    } else {
      const apiKey = await deps.cipher.decrypt(record.secret, secretContext(record.tenantId, record.provider));
      domains = (await deps.provider.verify({ apiKey, region: record.region })).domains;
    }
    const valid = validDomainNames(domains);
    const stranded = record.emails.filter((email) => !valid.has(email.slice(email.lastIndexOf('@') + 1)));
    status = stranded.length > 0 ? 'sender_unauthenticated' : 'active';
  } catch (error) {
    if (error instanceof KeyVerificationError && KEY_CODES_TO_STATUS[error.code]) {
      status = KEY_CODES_TO_STATUS[error.code] as IntegrationStatus;
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
