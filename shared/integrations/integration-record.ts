import * as z from 'zod';
import type { EncryptedSecret } from '../crypto/envelope.js';
import type { ProviderName } from '../providers/email-provider.js';

/**
 * Lifecycle of an integration as the console card shows it. `active` until something
 * (a send, the daily health check) finds the key or a sender no longer accepted.
 */
export type IntegrationStatus =
  | 'active'
  | 'key_rejected'
  | 'sender_rejected'
  | 'scopes_changed'
  | 'sender_unauthenticated'
  /** Amazon SES: a domain with registered senders failed verification after it had verified (see `failedDomains`). */
  | 'domain_failed'
  /** Amazon SES paused the tenant's SES tenant (`Sending Status Disabled`): sends are refused until it is enabled again. */
  | 'paused';

/** One tenant's email integration: exactly one DynamoDB item. */
export interface IntegrationRecord {
  tenantId: string;
  channel: 'email';
  provider: ProviderName;
  region: string;
  /** SendGrid's public key id (not secret), so an auditor can find the key in SendGrid. */
  keyId: string;
  /** Registered senders, lower-case, distinct. */
  emails: string[];
  status: IntegrationStatus;
  /** Bumped each time the key is replaced. */
  keyVersion: number;
  /** Bumped on every write; each write is conditional on the revision it read. */
  revision: number;
  createdAt: string;
  updatedAt: string;
  rotatedAt?: string;
  lastVerifiedAt: string;
  lastSendError?: string;
  /**
   * Amazon SES domains with registered senders that failed verification (records removed, or SES
   * gave up on them): sends from senders there are refused until they verify again. The
   * scheduled domain checker keeps it.
   */
  failedDomains?: string[];
  /**
   * When Amazon SES last changed the SES tenant's sending status, as its event says: an older
   * event (SES publishes best effort, out of order) never overrides a newer one.
   */
  sesSendingStatusAt?: string;
  /** The envelope-encrypted API key (SendGrid). Providers that need no key (SES) have none. */
  secret?: EncryptedSecret;
  /**
   * The SendGrid key kept while the tenant sends through SES, so an operator can move it back
   * without asking the customer for a new key.
   */
  parkedSendGrid?: { region: string; keyId: string; keyVersion: number; secret: EncryptedSecret };
}

const encryptedSecretSchema = z.object({
  formatVersion: z.literal(1),
  algorithm: z.literal('AES-256-GCM'),
  masterKeyId: z.string(),
  encryptedDataKey: z.string(),
  iv: z.string(),
  authTag: z.string(),
  ciphertext: z.string(),
});

/**
 * An integration item as DynamoDB must hold it. Items are parsed with it, never cast, so a
 * damaged item (a field of the wrong type) is refused where it is read instead of failing
 * somewhere later. Unknown attributes (the repository's write token) are dropped.
 */
export const integrationRecordSchema = z.object({
  tenantId: z.string(),
  channel: z.literal('email'),
  provider: z.enum(['sendgrid', 'ses']),
  region: z.string(),
  keyId: z.string(),
  emails: z.array(z.string()),
  status: z.enum([
    'active',
    'key_rejected',
    'sender_rejected',
    'scopes_changed',
    'sender_unauthenticated',
    'domain_failed',
    'paused',
  ]),
  keyVersion: z.number().int(),
  revision: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  rotatedAt: z.string().optional(),
  lastVerifiedAt: z.string(),
  lastSendError: z.string().optional(),
  failedDomains: z.array(z.string()).optional(),
  sesSendingStatusAt: z.string().optional(),
  secret: encryptedSecretSchema.optional(),
  parkedSendGrid: z
    .object({ region: z.string(), keyId: z.string(), keyVersion: z.number().int(), secret: encryptedSecretSchema })
    .optional(),
});

// The schema and the interface describe the same item: either drifting fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesRecord: Same<z.infer<typeof integrationRecordSchema>, IntegrationRecord> = true;
void schemaMatchesRecord;

/** The integration card: what the console shows. Never the key or any part of its secret. */
export interface IntegrationCard {
  provider: ProviderName;
  region: string;
  keyId: string;
  emails: string[];
  status: IntegrationStatus;
  keyVersion: number;
  createdAt: string;
  updatedAt: string;
  rotatedAt: string | null;
  lastVerifiedAt: string;
  lastSendError: string | null;
  /** Bumped on every write; with `createdAt` it makes the card's ETag. */
  revision: number;
  /** Amazon SES domains whose senders are refused until they verify again (only while there are any). */
  failedDomains?: string[];
}

/** Projects a record onto the card, field by field, so new secret-bearing fields never leak by default. */
export function toCard(record: IntegrationRecord): IntegrationCard {
  return {
    provider: record.provider,
    region: record.region,
    keyId: record.keyId,
    emails: record.emails,
    status: record.status,
    keyVersion: record.keyVersion,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    rotatedAt: record.rotatedAt ?? null,
    lastVerifiedAt: record.lastVerifiedAt,
    lastSendError: record.lastSendError ?? null,
    revision: record.revision,
    ...(record.failedDomains?.length ? { failedDomains: record.failedDomains } : {}),
  };
}

/** The encryption context that binds a stored key to its tenant and provider. */
export function secretContext(tenantId: string, provider: ProviderName) {
  return { tenantId, provider };
}
