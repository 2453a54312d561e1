import { DomainProblem } from '../problem-catalog.js';
import type { OutboundEmail } from '../sending/outbound-email.js';

/**
 * The provider-neutral seam: the one interface every email provider implements (one folder
 * per provider: `./sendgrid/`, `./ses/`), and the neutral types and errors the use cases and
 * the send path work with. Vendor answers become these types inside each provider's folder.
 */

/** Providers this service can integrate. */
export type ProviderName = 'sendgrid' | 'ses';

/** How each provider is named to people, so the neutral layer can name a tenant's provider. */
export const PROVIDER_LABELS: Readonly<Record<ProviderName, string>> = {
  sendgrid: 'SendGrid',
  ses: 'Amazon SES',
};

/** A sending domain as the provider reports it. Only `valid` domains may send. */
export interface SenderDomain {
  domain: string;
  valid: boolean;
}

/** An address offered to the customer as a sender. */
export interface SenderOption {
  email: string;
  domain: string;
  /** `verified_sender`: a verified single sender at a valid domain; `suggested`: info@/noreply@ by convention. */
  source: 'verified_sender' | 'suggested';
}

/** What verifying credentials established. */
export interface ProviderVerification {
  provider: ProviderName;
  region: string;
  /** The non-secret id of the credentials, so an auditor can find them at the provider. */
  keyId: string;
  scopes: { granted: string[]; required: string[]; ignored: string[] };
  domains: SenderDomain[];
  senders: SenderOption[];
}

/** Credentials as the customer pastes them, with an optional region hint. */
export interface ApiKeyCredentials {
  apiKey: string;
  region?: string;
}

/** Where and as whom a provider acts for one tenant: provider-specific, opaque to the callers. */
export interface SendingAccount {
  region: string;
  /** The decrypted API key, for providers that hold the customer's own key (SendGrid). */
  apiKey?: string;
  /** Our tenant, for providers that keep tenants apart themselves (SES tenants). */
  tenantId?: string;
}

/** What a provider said about a message it accepted. */
export interface SendReceipt {
  /** The provider's id for the message (SendGrid `X-Message-Id`, SES `MessageId`), when it gives one. */
  providerMessageId: string | null;
}

/**
 * Domains in the platform's own provider account (SES) that an operator hands to a tenant:
 * the tenant may then send from them, and from no other tenant's.
 */
export interface DomainAdoption {
  /** These domains as the tenant could use them: `valid` when verified for sending and held by no other tenant. */
  adoptable(account: SendingAccount & { tenantId: string }, domains: readonly string[]): Promise<SenderDomain[]>;
  /** Makes the domains the tenant's at the provider (idempotent); returns the provider's name for the tenant. */
  adopt(account: SendingAccount & { tenantId: string }, domains: readonly string[]): Promise<string>;
}

/** The provider's verdict on a sending domain: only `verified` domains may send. */
export type SendingDomainStatus = 'pending' | 'verified' | 'failed' | 'temporary_failure';

/** A DNS record the tenant publishes so the provider can verify and sign for the domain. */
export interface DomainDnsRecord {
  purpose: 'dkim' | 'mail_from_mx' | 'mail_from_spf';
  type: 'CNAME' | 'MX' | 'TXT';
  name: string;
  value: string;
}

/** A domain being onboarded at the provider for one tenant, as the provider sees it now. */
export interface OnboardedDomain {
  domain: string;
  region: string;
  status: SendingDomainStatus;
  /** The custom MAIL FROM domain (bounces go there), and the provider's verdict on its MX record. */
  mailFrom: { domain: string; status: SendingDomainStatus };
  records: DomainDnsRecord[];
}

/** The domain is another tenant's at the provider: it cannot be onboarded (the other tenant is never named). */
export class DomainUnavailableError extends Error {
  override readonly name = 'DomainUnavailableError';
  readonly code = 'domain_unavailable';

  constructor(readonly domain: string) {
    super(`${domain} is held by another tenant.`);
  }
}

/**
 * Tenant self-service onboarding of a sending domain (SES): each step idempotent, so calling
 * `start` again resumes after a crash between steps and changes nothing once done.
 */
export interface DomainOnboarding {
  /** Sets the domain up for the tenant (provider tenant, identity, signing, MAIL FROM, associations). */
  start(account: SendingAccount & { tenantId: string }, domain: string): Promise<OnboardedDomain>;
  /** The provider's verdict and records for one of the tenant's domains; undefined when it is not the tenant's. */
  status(account: SendingAccount & { tenantId: string }, domain: string): Promise<OnboardedDomain | undefined>;
  /** Takes the domain away from the tenant at the provider (and deletes it there when no one else holds it). */
  remove(account: SendingAccount & { tenantId: string }, domain: string): Promise<void>;
}

/** The platform's own account at the provider (SES's `GetAccount`), in one region. */
export interface PlatformAccountStatus {
  /** False while the account is still in the provider's sandbox (SES: verified recipients only, 200 a day). */
  productionAccess: boolean;
  /** False when the provider paused the whole account's sending. */
  sendingEnabled: boolean;
}

/** The platform's own account at providers whose account the platform holds (SES). */
export interface PlatformAccount {
  status(region: string): Promise<PlatformAccountStatus>;
}

/** The one interface every email provider implements. Optional members are capabilities some providers have. */
export interface EmailProvider {
  readonly name: ProviderName;
  /**
   * Checks credentials the customer pasted, fully (format, permissions, region), and lists the
   * senders they allow. Absent for providers that hold no customer credentials (SES).
   */
  verify?(credentials: ApiKeyCredentials): Promise<ProviderVerification>;
  /** The sending domains this tenant's account may use now (to check registered senders). */
  senderDomains(account: SendingAccount): Promise<SenderDomain[]>;
  /** Sends one message; resolves with a receipt or rejects with a {@link SendFailure}. */
  send(account: SendingAccount, message: OutboundEmail): Promise<SendReceipt>;
  /** Handing platform-account domains to a tenant (operator migration), where the provider has it. */
  readonly adoption?: DomainAdoption;
  /** Tenant self-service domain onboarding (issue 12), where the provider has it. */
  readonly onboarding?: DomainOnboarding;
  /** The platform's own account at the provider (SES), where there is one. */
  readonly platformAccount?: PlatformAccount;
  /**
   * Whether the provider has paused this tenant's sending (an SES tenant `DISABLED`), where the
   * provider pauses tenants: the health check's cross-check of the status events.
   */
  sendingPaused?(account: SendingAccount): Promise<boolean>;
}

/** A provider that checks customer-pasted credentials (the key routes need one). */
export type CredentialProvider = EmailProvider & Required<Pick<EmailProvider, 'verify'>>;

/** The send part of {@link EmailProvider}: what the send path calls. */
export type MailTransport = Pick<EmailProvider, 'send'>;

/**
 * The provider refused the tenant's credentials, or they cannot do what the product needs.
 * `code` says which (`key_rejected`, `missing_scopes`, …); each provider maps its own answers to it.
 */
export class CredentialsProblem extends DomainProblem {
  override readonly name: string = 'CredentialsProblem';
}

/** The domains among `domains` that may send, lower-cased. */
export function validDomainNames(domains: readonly SenderDomain[]): Set<string> {
  return new Set(domains.filter((domain) => domain.valid).map((domain) => domain.domain.toLowerCase()));
}

/** The domain part of an address, lower-cased. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** The senders among `emails` that are not at one of the valid `domains` (exact domain match). */
export function sendersOutside(emails: readonly string[], domains: readonly SenderDomain[]): string[] {
  const valid = validDomainNames(domains);
  return emails.filter((email) => !valid.has(domainOf(email)));
}

/**
 * Why a send failed, in provider-neutral classes the send path acts on:
 * - `message_rejected`: the message itself is invalid (400, 413): permanent;
 * - `key_rejected`: the credentials no longer work (401, most 403s): permanent, marks the card;
 * - `sender_rejected`: the provider refuses this `from` (403 on `from`): permanent, marks the card;
 * - `throttled`: rate-limited; retry no sooner than `retryAfterSeconds`;
 * - `transient`: 5xx or a connection never made: safe to retry;
 * - `outcome_unknown`: timed out or cut off after the request left: it may have been delivered;
 * - `sending_paused`: the provider paused the tenant's (or the whole account's) sending: permanent,
 *   the card untouched (its status follows the provider's own status events).
 */
export type SendFailureClass =
  | 'sending_paused'
  | 'message_rejected'
  | 'key_rejected'
  | 'sender_rejected'
  | 'throttled'
  | 'transient'
  | 'outcome_unknown';

/** A provider refused or could not take a message. Carries no credentials and no message body. */
export class SendFailure extends Error {
  override readonly name = 'SendFailure';

  constructor(
    readonly failureClass: SendFailureClass,
    /** The provider's own words (e.g. its error message), safe to show an operator. */
    readonly reason: string,
    readonly options: { status?: number; field?: string | null; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(`${failureClass}: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
