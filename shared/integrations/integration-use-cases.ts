import type { EncryptedSecret, EnvelopeCipher } from '../crypto/envelope.js';
import { message } from '../message-catalog.js';
import type { IntegrationStatusEvents } from '../outcome-events/outcome-events.js';
import { DomainProblem } from '../problem-catalog.js';
import {
  type ApiKeyCredentials,
  type CredentialProvider,
  type EmailProvider,
  PROVIDER_LABELS,
  type ProviderName,
  type ProviderVerification,
  type SenderDomain,
  sendersOutside,
  validDomainNames,
} from '../providers/email-provider.js';
import { integrationETag, type Preconditions, preconditionsHold } from './integration-etag.js';
import { type IntegrationCard, type IntegrationRecord, secretContext, toCard } from './integration-record.js';
import { type IntegrationStore, IntegrationStoreError } from './integration-repository.js';
import type { KeyCheckLimiter } from './key-check-limit.js';

/** A use case's precondition failed: no integration, or senders outside the key's domains. */
export class IntegrationError extends DomainProblem {
  override readonly name = 'IntegrationError';
}

/** What verifying needs: the provider that checks pasted keys and the tenant's key-check limit. */
export interface VerifyDeps {
  provider: CredentialProvider;
  /** Counts every check of a pasted key with the provider: verify, save and rotate alike. */
  keyChecks: KeyCheckLimiter;
}

/** What reading and deleting need: only the table (and, where the status can change, where to announce it). */
export interface StoreDeps {
  repository: IntegrationStore;
  /** Told each change of the card's status after it is written (none: not announced). */
  statusEvents?: IntegrationStatusEvents;
}

/** What writing a pasted key needs: a key check, the table and the cipher. */
export interface WriteDeps extends VerifyDeps, StoreDeps {
  cipher: EnvelopeCipher;
}

/** What editing senders needs: the table, the cipher and every provider (a tenant's record names its own). */
export interface SenderEditDeps extends StoreDeps {
  cipher: Pick<EnvelopeCipher, 'decrypt'>;
  providers: Readonly<Record<ProviderName, Pick<EmailProvider, 'senderDomains'>>>;
}

/** Checks a key and lists the senders it allows; stores nothing. */
export async function verifyKey(
  deps: VerifyDeps,
  tenantId: string,
  credentials: ApiKeyCredentials,
): Promise<ProviderVerification> {
  return checkPastedKey(deps, tenantId, credentials);
}

/** Verifies a pasted key with the provider, within the tenant's key-check limit. */
async function checkPastedKey(
  deps: VerifyDeps,
  tenantId: string,
  credentials: ApiKeyCredentials,
): Promise<ProviderVerification> {
  await deps.keyChecks.take(tenantId);
  return deps.provider.verify(credentials);
}

/**
 * Verifies the key again (never trusting an earlier verify) and saves it with the chosen
 * senders, creating the integration or replacing the existing one. `If-None-Match: *` makes it
 * create-only, `If-Match` replace-only-what-the-caller-saw (412 otherwise).
 */
export async function saveIntegration(
  deps: WriteDeps,
  tenantId: string,
  input: ApiKeyCredentials & { emails: string[] },
  preconditions: Preconditions = {},
): Promise<{ created: boolean; card: IntegrationCard }> {
  const existing = await deps.repository.get(tenantId);
  requirePreconditions(tenantId, existing, preconditions);
  if (existing) requireSendGrid(existing);
  const verification = await checkPastedKey(deps, tenantId, input);
  const emails = requireAuthenticatedSenders(input.emails, verification.domains, verification.provider);
  const secret = await deps.cipher.encrypt(input.apiKey.trim(), secretContext(tenantId, verification.provider));
  const key = {
    provider: verification.provider,
    region: verification.region,
    keyId: verification.keyId,
    emails,
    status: 'active' as const,
    secret,
  };
  if (!existing) {
    const created = await deps.repository.create(tenantId, (now) => ({ ...key, keyVersion: 1, lastVerifiedAt: now }));
    await deps.statusEvents?.changed({
      tenantId,
      provider: created.provider,
      status: created.status,
      previousStatus: null,
      cause: 'saved',
      card: created,
    });
    return { created: true, card: toCard(created) };
  }
  const replaced = await deps.repository.update(tenantId, existing.revision, (now) => ({
    ...key,
    keyVersion: existing.keyVersion + 1,
    rotatedAt: now,
    lastVerifiedAt: now,
    lastSendError: undefined,
    parkedSendGrid: undefined,
  }));
  await announceChange(deps, existing, replaced, 'saved');
  return { created: false, card: toCard(replaced) };
}

/** The tenant's integration card. */
export async function getIntegration(deps: StoreDeps, tenantId: string): Promise<IntegrationCard> {
  return toCard(await requireIntegration(deps, tenantId));
}

/**
 * Replaces the key, keeping the registered senders, which must still be authenticated under
 * it. The key already stored is refused (409 `same_key`, nothing changes); a key under which
 * none of the senders' domains is authenticated is most likely another account's (422
 * `different_account`).
 */
export async function rotateKey(
  deps: WriteDeps,
  tenantId: string,
  input: { apiKey: string },
  preconditions: Preconditions = {},
): Promise<IntegrationCard> {
  const existing = requireSendGrid(await requireIntegration(deps, tenantId, preconditions));
  const verification = await checkPastedKey(deps, tenantId, { apiKey: input.apiKey });
  if (verification.keyId === existing.keyId) {
    throw new IntegrationError('same_key', message('same_key'), { extensions: { keyId: existing.keyId } });
  }
  requireSameAccount(existing.emails, verification.domains);
  requireAuthenticatedSenders(existing.emails, verification.domains, verification.provider);
  const secret = await deps.cipher.encrypt(input.apiKey.trim(), secretContext(tenantId, verification.provider));
  const rotated = await deps.repository.update(tenantId, existing.revision, (now) => ({
    provider: verification.provider,
    region: verification.region,
    keyId: verification.keyId,
    status: 'active',
    keyVersion: existing.keyVersion + 1,
    rotatedAt: now,
    lastVerifiedAt: now,
    lastSendError: undefined,
    secret,
  }));
  await announceChange(deps, existing, rotated, 'rotated');
  return toCard(rotated);
}

/**
 * Replaces the sender list, checked against the domains the tenant's own provider account can
 * use now (its stored key; for SES, the identities of its own SES tenant).
 */
export async function updateSenders(
  deps: SenderEditDeps,
  tenantId: string,
  input: { emails: string[] },
  preconditions: Preconditions = {},
): Promise<IntegrationCard> {
  const existing = await requireIntegration(deps, tenantId, preconditions);
  const domains = await tenantDomains(deps, existing);
  const emails = requireAuthenticatedSenders(input.emails, domains, existing.provider);
  const updated = await deps.repository.update(tenantId, existing.revision, (now) => ({ emails, lastVerifiedAt: now }));
  return toCard(updated);
}

/** The domains the tenant's integration can send from now, asked of its own provider (with its key, if it holds one). */
async function tenantDomains(deps: SenderEditDeps, record: IntegrationRecord): Promise<SenderDomain[]> {
  const account = { region: record.region, tenantId: record.tenantId };
  const apiKey = record.secret
    ? await deps.cipher.decrypt(record.secret, secretContext(record.tenantId, record.provider))
    : undefined;
  return deps.providers[record.provider].senderDomains(apiKey === undefined ? account : { ...account, apiKey });
}

/**
 * Deletes the integration and with it the only copy of the encrypted key. A damaged item can
 * be deleted too: that is how its tenant starts over.
 */
export async function deleteIntegration(
  deps: StoreDeps,
  tenantId: string,
  preconditions: Preconditions = {},
): Promise<void> {
  let revision: number | undefined;
  let deleted: IntegrationRecord | undefined;
  try {
    deleted = await requireIntegration(deps, tenantId, preconditions);
    revision = deleted.revision;
  } catch (error) {
    if (!(error instanceof IntegrationStoreError && error.code === 'integration_unreadable')) throw error;
    revision = error.damagedRevision;
  }
  await deps.repository.delete(tenantId, revision);
  // A damaged item's status and provider are unknown: its deletion is not announced.
  if (deleted) {
    await deps.statusEvents?.changed({
      tenantId,
      provider: deleted.provider,
      status: 'deleted',
      previousStatus: deleted.status,
      cause: 'deleted',
      card: deleted,
    });
  }
}

/** Announces a write that changed the card's status (a write that kept it is no status change). */
async function announceChange(
  deps: StoreDeps,
  before: IntegrationRecord,
  after: IntegrationRecord,
  cause: 'saved' | 'rotated',
): Promise<void> {
  if (before.status === after.status) return;
  await deps.statusEvents?.changed({
    tenantId: after.tenantId,
    provider: after.provider,
    status: after.status,
    previousStatus: before.status,
    cause,
    card: after,
  });
}

/**
 * The key routes (save, rotate) act on a pasted SendGrid key; a tenant an operator moved to
 * another provider has none until it is moved back (`npm run ops`).
 */
export function requireSendGrid(record: IntegrationRecord): IntegrationRecord & { secret: EncryptedSecret } {
  if (record.provider !== 'sendgrid' || !record.secret) {
    const detail = message('wrong_provider', {
      current: PROVIDER_LABELS[record.provider],
      keyed: PROVIDER_LABELS.sendgrid,
    });
    throw new IntegrationError('wrong_provider', detail, { extensions: { provider: record.provider } });
  }
  return record as IntegrationRecord & { secret: EncryptedSecret };
}

/** The tenant's integration, if the request's preconditions hold for it (412), and it exists (404). */
async function requireIntegration(
  deps: StoreDeps,
  tenantId: string,
  preconditions: Preconditions = {},
): Promise<IntegrationRecord> {
  const record = await deps.repository.get(tenantId);
  requirePreconditions(tenantId, record, preconditions);
  if (!record) throw new IntegrationError('not_found', message('not_found'));
  return record;
}

/** The entity tag a client gets with the card and sends back as If-Match. */
export function cardETag(tenantId: string, card: { createdAt: string; revision: number }): string {
  return integrationETag(tenantId, card);
}

/** Refuses with 412 a write whose If-Match / If-None-Match does not hold for the current item. */
function requirePreconditions(tenantId: string, record: IntegrationRecord | undefined, preconditions: Preconditions) {
  const current = record ? cardETag(tenantId, record) : undefined;
  if (preconditionsHold(current, preconditions)) return;
  const exists = record !== undefined && preconditions.ifMatch === undefined;
  throw new IntegrationError('precondition_failed', message(exists ? 'already_exists' : 'precondition_failed'), {
    extensions: { exists: record !== undefined },
  });
}

/**
 * A new key under which none of the registered senders' domains is authenticated is not a
 * sender problem: it is most likely another SendGrid account's key.
 */
function requireSameAccount(emails: readonly string[], domains: readonly SenderDomain[]): void {
  const valid = validDomainNames(domains);
  if (sendersOutside(emails, domains).length < emails.length) return;
  throw new IntegrationError('different_account', message('different_account', { emails, domains: [...valid] }), {
    extensions: { emails, authenticatedDomains: [...valid] },
  });
}

/**
 * Lower-cases and de-duplicates the senders and checks that each is at a valid domain of the
 * tenant's provider account (exact domain match, as domain authentication works).
 */
export function requireAuthenticatedSenders(
  emails: readonly string[],
  domains: readonly SenderDomain[],
  provider: ProviderName,
): string[] {
  const normalized = [...new Set(emails.map((email) => email.trim().toLowerCase()))];
  const offenders = sendersOutside(normalized, domains);
  if (offenders.length > 0) {
    const valid = [...validDomainNames(domains)];
    const detail = message('sender_not_authenticated', {
      emails: offenders,
      domains: valid,
      provider: PROVIDER_LABELS[provider],
    });
    throw new IntegrationError('sender_not_authenticated', detail, {
      extensions: { emails: offenders, authenticatedDomains: valid },
    });
  }
  return normalized;
}
