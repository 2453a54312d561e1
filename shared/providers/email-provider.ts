import type { OutboundEmail } from '../sending/outbound-email.js';

/**
 * The provider-neutral seam: what the integration use cases need from an email provider.
 * SendGrid implements it today (`./sendgrid/`); Amazon SES can implement it later.
 */

/** Providers this service can integrate. */
export type ProviderName = 'sendgrid' | 'ses';

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

/** The operations the integration use cases need from a provider. */
export interface EmailProvider {
  readonly name: ProviderName;
  /** Checks the credentials fully (format, permissions, region) and lists the senders they may use. */
  verify(credentials: ApiKeyCredentials): Promise<ProviderVerification>;
  /** Lists the sending domains stored credentials can use now (to re-check registered senders). */
  listSenderDomains(credentials: Required<ApiKeyCredentials>): Promise<SenderDomain[]>;
}

/** The domains among `domains` that may send, lower-cased. */
export function validDomainNames(domains: readonly SenderDomain[]): Set<string> {
  return new Set(domains.filter((domain) => domain.valid).map((domain) => domain.domain.toLowerCase()));
}

/** What a provider said about a message it accepted. */
export interface SendReceipt {
  /** The provider's id for the message (SendGrid `X-Message-Id`), when it gives one. */
  providerMessageId: string | null;
}

/**
 * Why a send failed, in provider-neutral classes the send path acts on:
 * - `message_rejected`: the message itself is invalid (400, 413): permanent;
 * - `key_rejected`: the credentials no longer work (401, most 403s): permanent, marks the card;
 * - `sender_rejected`: the provider refuses this `from` (403 on `from`): permanent, marks the card;
 * - `throttled`: rate-limited; retry no sooner than `retryAfterSeconds`;
 * - `transient`: 5xx or a connection never made: safe to retry;
 * - `outcome_unknown`: timed out or cut off after the request left: it may have been delivered.
 */
export type SendFailureClass =
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
    /** The provider's own words (e.g. SendGrid's error message), safe to show an operator. */
    readonly reason: string,
    readonly options: { status?: number; field?: string | null; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(`${failureClass}: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Where and how to send for one tenant: provider-specific, opaque to the send path. */
export interface SendingAccount {
  region: string;
  /** The decrypted API key (SendGrid); absent for providers that need none (SES). */
  apiKey?: string;
  /** Our tenant, for providers that keep tenants apart themselves (SES tenants). */
  tenantId?: string;
  /** An SES configuration set to send under, when one is configured. */
  configurationSet?: string;
}

/** What the send path needs from a provider. */
export interface MailTransport {
  /** Sends one message; resolves with a receipt or rejects with a {@link SendFailure}. */
  send(account: SendingAccount, message: OutboundEmail): Promise<SendReceipt>;
}
