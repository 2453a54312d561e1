import type { EncryptedSecret, EnvelopeCipher } from '../crypto/envelope.js';
import { DomainProblem } from '../problem-catalog.js';
import {
  type ApiKeyCredentials,
  type EmailProvider,
  type ProviderVerification,
  validDomainNames,
} from '../providers/email-provider.js';
import type { KeylessDomains } from './health-check.js';
import { type IntegrationCard, type IntegrationRecord, secretContext, toCard } from './integration-record.js';
import { type IntegrationStore, IntegrationStoreError } from './integration-repository.js';

/** A use case's precondition failed: no integration, or senders outside the key's domains. */
export class IntegrationError extends DomainProblem {
  override readonly name = 'IntegrationError';
}

/** What verifying needs: only the provider (no table, no key material). */
export interface VerifyDeps {
  provider: EmailProvider;
}

/** What reading and deleting need: only the table. */
export interface StoreDeps {
  repository: IntegrationStore;
}

/** What writing a key or re-checking senders needs. */
export interface WriteDeps extends VerifyDeps, StoreDeps {
  cipher: EnvelopeCipher;
}

/** Checks a key and lists the senders it allows; stores nothing. */
export function verifyKey(deps: VerifyDeps, credentials: ApiKeyCredentials): Promise<ProviderVerification> {
  return deps.provider.verify(credentials);
}

/** Verifies the key again (never trusting an earlier verify) and saves it with the chosen senders. */
export async function saveIntegration(
  deps: WriteDeps,
  tenantId: string,
  input: ApiKeyCredentials & { emails: string[] },
): Promise<{ created: boolean; card: IntegrationCard }> {
  const verification = await deps.provider.verify(input);
  const emails = requireAuthenticatedSenders(input.emails, verification.domains);
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
  const verification = await deps.provider.verify({ apiKey: input.apiKey });
  requireAuthenticatedSenders(existing.emails, verification.domains);
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

/** Replaces the sender list, checked against the domains the stored key can use now. */
export async function updateSenders(
  deps: WriteDeps & { ses?: KeylessDomains },
  tenantId: string,
  input: { emails: string[] },
): Promise<IntegrationCard> {
  const existing = await requireIntegration(deps, tenantId);
  const domains =
    existing.provider === 'ses' && deps.ses
      ? await deps.ses.listSenderDomains(existing.region)
      : await sendGridDomains(deps, requireSendGrid(existing));
  const emails = requireAuthenticatedSenders(input.emails, domains);
  const updated = await deps.repository.update(tenantId, existing.revision, (now) => ({ emails, lastVerifiedAt: now }));
  return toCard(updated);
}

/** The domains the tenant's stored SendGrid key can send from now. */
async function sendGridDomains(deps: WriteDeps, record: IntegrationRecord & { secret: EncryptedSecret }) {
  const apiKey = await deps.cipher.decrypt(record.secret, secretContext(record.tenantId, record.provider));
  return deps.provider.listSenderDomains({ apiKey, region: record.region });
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
 * The SendGrid key routes (save, rotate) act on a SendGrid key; a tenant an operator moved to
 * another provider (SES) has none until it is moved back (`npm run ops`).
 */
export function requireSendGrid(record: IntegrationRecord): IntegrationRecord & { secret: EncryptedSecret } {
  if (record.provider !== 'sendgrid' || !record.secret) {
    throw new IntegrationError(
      'wrong_provider',
      'This tenant sends through Amazon SES now, so it has no SendGrid key to change here. An operator can move it back to SendGrid (npm run ops -- migrate <tenant> --to sendgrid).',
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
      'This tenant has no SendGrid integration. Verify a key (POST /integrations/sendgrid/verify) and save it (PUT /integrations/sendgrid).',
    );
  }
  return record;
}

/**
 * Lower-cases and de-duplicates the senders and checks that each is at a valid authenticated
 * domain of the key (exact domain match, as SendGrid's domain authentication does).
 */
export function requireAuthenticatedSenders(
  emails: readonly string[],
  domains: ReadonlyArray<{ domain: string; valid: boolean }>,
): string[] {
  const valid = validDomainNames(domains);
  const normalized = [...new Set(emails.map((email) => email.trim().toLowerCase()))];
  const offenders = normalized.filter((email) => !valid.has(email.slice(email.lastIndexOf('@') + 1)));
  if (offenders.length > 0) {
    throw new IntegrationError(
      'sender_not_authenticated',
      `${offenders.join(', ')} ${offenders.length === 1 ? 'is' : 'are'} not at a verified authenticated domain of this SendGrid key (${[...valid].join(', ') || 'none'}). Pick addresses at those domains, or authenticate the domain in SendGrid (Settings → Sender Authentication) first.`,
      { extensions: { emails: offenders, authenticatedDomains: [...valid] } },
    );
  }
  return normalized;
}
