/**
 * The provider-neutral seam: what the integration use cases need from an email provider.
 * SendGrid implements it today (`./sendgrid/`); Amazon SES can implement it later.
 */

/** Providers this service can integrate. */
export type ProviderName = 'sendgrid';

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
