import type { EnvelopeCipher } from '../crypto/envelope.js';
import { EnvelopeError } from '../crypto/envelope.js';
import type { IntegrationStatusCause, IntegrationStatusEvents } from '../outcome-events/outcome-events.js';
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
 * read; `changed_meanwhile`: the tenant changed the integration while it was being checked;
 * `skipped`: the integration was deleted between planning and checking).
 */
export type HealthOutcome = IntegrationStatus | 'unreachable' | 'unreadable' | 'changed_meanwhile' | 'skipped';

/** Outcomes that mean the check itself could not tell: counted as failures, which the stack alarms on. */
export const HEALTH_CHECK_FAILURES: ReadonlySet<HealthOutcome> = new Set(['unreachable', 'unreadable']);

export type { HealthCheckScope } from './health-runs.js';

/** Statuses the `blocked` scope re-checks: they stop the tenant's mail until cleared. */
export { BLOCKED_STATUSES } from './integration-table.js';

/** What a health check needs from each provider: verify pasted-key credentials where it can, else its domains. */
export type CheckedProviders = Readonly<
  Record<ProviderName, Pick<EmailProvider, 'verify' | 'senderDomains' | 'sendingPaused'>>
>;

/** What checking one integration uses. */
export interface HealthCheckDeps {
  repository: Pick<IntegrationStore, 'update'>;
  cipher: Pick<EnvelopeCipher, 'decrypt'>;
  /** The provider registry: each integration is checked with its own provider. */
  providers: CheckedProviders;
  /** Told each change of a card's status the check wrote (none: not announced). */
  statusEvents?: IntegrationStatusEvents;
  /** Who checked, as announced: the health check (default) or an operator (`npm run ops -- verify`). */
  cause?: Extract<IntegrationStatusCause, 'health_check' | 'operator_check'>;
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
 * Re-verifies one integration with its own provider — credentials still accepted, permissions
 * unchanged, registered senders still at the tenant's valid domains — and writes the result onto
 * the card (`status`, `lastVerifiedAt`), conditional on the revision read, so a tenant's own
 * change made meanwhile always wins. Never throws for one tenant's trouble.
 */
export async function checkIntegration(deps: HealthCheckDeps, record: IntegrationRecord): Promise<HealthOutcome> {
  let status: IntegrationStatus;
  try {
    const domains = await currentDomains(deps, record);
    status = sendersOutside(record.emails, domains).length > 0 ? 'sender_unauthenticated' : 'active';
    // The scheduled SES domain checker owns `failedDomains`: the card says so until it clears them.
    if (record.failedDomains?.length) status = 'domain_failed';
    // A provider that pauses tenants (SES) is asked, since its status events are best effort; one
    // that cannot be asked leaves `paused` to its events (receive-ses-events).
    const provider = deps.providers[record.provider];
    const paused = provider.sendingPaused
      ? await provider.sendingPaused({ region: record.region, tenantId: record.tenantId })
      : record.status === 'paused';
    if (paused) status = 'paused';
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
  let updated: IntegrationRecord;
  try {
    updated = await deps.repository.update(record.tenantId, record.revision, (now) => ({
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
  if (record.status !== status) {
    await deps.statusEvents?.changed({
      tenantId: record.tenantId,
      provider: record.provider,
      status,
      previousStatus: record.status,
      cause: deps.cause ?? 'health_check',
      card: updated,
    });
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
