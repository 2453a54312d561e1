import type { EncryptedSecret, EnvelopeCipher } from '../crypto/envelope.js';
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

/** What reading and deleting need: only the table. */
export interface StoreDeps {
  repository: IntegrationStore;
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

/** Verifies the key again (never trusting an earlier verify) and saves it with the chosen senders. */
export async function saveIntegration(
  deps: WriteDeps,
  tenantId: string,
  input: ApiKeyCredentials & { emails: string[] },
): Promise<{ created: boolean; card: IntegrationCard }> {
  const verification = await checkPastedKey(deps, tenantId, input);
  const emails = requireAuthenticatedSenders(input.emails, verification.domains, verification.provider);
  const existing = await deps.repository.get(tenantId);
  if (existing) requireSendGrid(existing);
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
  return { created: false, card: toCard(replaced) };
}

/** The tenant's integration card. */
export async function getIntegration(deps: StoreDeps, tenantId: string): Promise<IntegrationCard> {
  return toCard(await requireIntegration(deps, tenantId));
}

/** Replaces the key, keeping the registered senders, which must still be authenticated under it. */
export async function rotateKey(
  deps: WriteDeps,
  tenantId: string,
  input: { apiKey: string },
): Promise<IntegrationCard> {
  const existing = requireSendGrid(await requireIntegration(deps, tenantId));
  const verification = await checkPastedKey(deps, tenantId, { apiKey: input.apiKey });
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
): Promise<IntegrationCard> {
  const existing = await requireIntegration(deps, tenantId);
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
export async function deleteIntegration(deps: StoreDeps, tenantId: string): Promise<void> {
  let revision: number | undefined;
  try {
    revision = (await requireIntegration(deps, tenantId)).revision;
  } catch (error) {
    if (!(error instanceof IntegrationStoreError && error.code === 'integration_unreadable')) throw error;
    revision = error.damagedRevision;
  }
  await deps.repository.delete(tenantId, revision);
}

/**
 * The key routes (save, rotate) act on a pasted SendGrid key; a tenant an operator moved to
 * another provider has none until it is moved back (`npm run ops`).
 */
export function requireSendGrid(record: IntegrationRecord): IntegrationRecord & { secret: EncryptedSecret } {
  if (record.provider !== 'sendgrid' || !record.secret) {
    const now = PROVIDER_LABELS[record.provider];
    const keyed = PROVIDER_LABELS.sendgrid;
    throw new IntegrationError(
      'wrong_provider',
      `This tenant sends through ${now} now, so it has no ${keyed} key to change here. An operator can move it back to ${keyed} (npm run ops -- migrate <tenant> --to sendgrid).`,
      { extensions: { provider: record.provider } },
    );
  }
  return record as IntegrationRecord & { secret: EncryptedSecret };
}

async function requireIntegration(deps: StoreDeps, tenantId: string): Promise<IntegrationRecord> {
  const record = await deps.repository.get(tenantId);
  if (!record) {
    throw new IntegrationError(
      'not_found',
      'This tenant has no email integration. Verify a key (POST /integrations/sendgrid/verify) and save it (PUT /integrations/sendgrid).',
    );
  }
  return record;
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
    const label = PROVIDER_LABELS[provider];
    throw new IntegrationError(
      'sender_not_authenticated',
      `${offenders.join(', ')} ${offenders.length === 1 ? 'is' : 'are'} not at a domain verified for sending with this tenant's ${label} account (${valid.join(', ') || 'none'}). Pick addresses at those domains, or verify the domain in ${label} first.`,
      { extensions: { emails: offenders, authenticatedDomains: valid } },
    );
  }
  return normalized;
}
