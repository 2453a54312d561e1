import { message } from '../../message-catalog.js';
import { UpstreamUnavailableError } from '../../problem-catalog.js';
import type { OutboundEmail } from '../../sending/outbound-email.js';
import {
  type ApiKeyCredentials,
  type CredentialProvider,
  CredentialsProblem,
  type ProviderVerification,
  type SenderDomain,
  type SenderOption,
  type SendingAccount,
  type SendReceipt,
  validDomainNames,
} from '../email-provider.js';
import { assessScopes, type ScopeAssessment, settingsToSwitchOff } from './scope-policy.js';
import { SendGridApi, SendGridApiError } from './sendgrid-api.js';
import {
  isSendGridRegion,
  SENDGRID_API_KEY_PATTERN,
  SENDGRID_PAGINATION,
  SENDGRID_PATHS,
  SENDGRID_REGIONS,
  type SendGridRegion,
  SUGGESTED_SENDER_LOCAL_PARTS,
} from './sendgrid-facts.js';
import { SendGridMailTransport } from './sendgrid-mail.js';

export { isSendGridRegion };

/** SendGrid refused a key, or the key cannot do what the product needs (the neutral {@link CredentialsProblem}). */
export class KeyVerificationError extends CredentialsProblem {
  override readonly name = 'KeyVerificationError';
}

/** A key in SendGrid's format, split into its public id and the whole (secret) key. */
export interface ParsedApiKey {
  apiKey: string;
  keyId: string;
}

/** Checks the format of a pasted key (surrounding whitespace trimmed) without calling SendGrid. */
export function parseSendGridApiKey(raw: string): ParsedApiKey {
  const apiKey = raw.trim();
  const match = SENDGRID_API_KEY_PATTERN.exec(apiKey);
  if (!match?.[1]) {
    throw new KeyVerificationError('invalid_key_format', message('invalid_key_format'), {
      extensions: { expectedLength: 69, receivedLength: apiKey.length },
    });
  }
  return { apiKey, keyId: match[1] };
}

interface DomainItem {
  domain?: unknown;
  valid?: unknown;
}
interface VerifiedSenderItem {
  id?: unknown;
  from_email?: unknown;
  verified?: unknown;
}

/** The calls the provider makes; {@link SendGridApi} in production, a fake in unit tests. */
export type SendGridTransport = Pick<SendGridApi, 'get' | 'post'>;

/** Options for {@link SendGridProvider}. */
export interface SendGridProviderOptions {
  api?: SendGridTransport;
  /** The clock for rate-limit resets (tests). */
  now?: () => number;
}

/** The SendGrid implementation of the email provider interface: the customer's own key, per tenant. */
export class SendGridProvider implements CredentialProvider {
  readonly name = 'sendgrid' as const;
  private readonly api: SendGridTransport;
  private readonly mail: SendGridMailTransport;

  constructor(options: SendGridProviderOptions = {}) {
    this.api = options.api ?? new SendGridApi();
    this.mail = new SendGridMailTransport(this.api, options.now);
  }

  async verify(credentials: ApiKeyCredentials): Promise<ProviderVerification> {
    const { apiKey, keyId } = parseSendGridApiKey(credentials.apiKey);
    const candidates = credentials.region === undefined ? SENDGRID_REGIONS : [requireRegion(credentials.region)];
    for (const region of candidates) {
      // Scopes, domains and senders are asked for at once, so verifying costs about one round trip.
      const scopes = this.api.get<{ scopes?: unknown }>(region, apiKey, SENDGRID_PATHS.scopes);
      const domains = this.readDomains(region, apiKey);
      const verifiedSenders = this.readVerifiedSenders(region, apiKey);
      // Settle the side calls now so an early exit below leaves no rejection unobserved.
      domains.catch(() => undefined);
      verifiedSenders.catch(() => undefined);
      let granted: string[];
      try {
        const response = await scopes;
        granted = Array.isArray(response.body.scopes) ? response.body.scopes.map(String) : [];
      } catch (error) {
        if (isUnauthorized(error) && region !== candidates[candidates.length - 1]) continue;
        throw translateFailure(error, credentials.region !== undefined);
      }
      const assessment = assessScopes(granted);
      enforceScopePolicy(assessment);
      const [domainList, senderEmails] = await Promise.all([
        domains.catch((error: unknown) => {
          throw translateFailure(error, true);
        }),
        verifiedSenders.catch((error: unknown) => {
          throw translateFailure(error, true);
        }),
      ]);
      return {
        provider: this.name,
        region,
        keyId,
        scopes: { granted: assessment.granted, required: assessment.required, ignored: assessment.ignored },
        domains: domainList,
        senders: senderOptions(domainList, senderEmails),
      };
    }
    // Unreachable: the last candidate region either returns or throws.
    throw new KeyVerificationError('key_rejected', message('key_rejected', { regionGiven: false }));
  }

  /** The authenticated domains the tenant's stored key can read now. */
  async senderDomains(account: SendingAccount): Promise<SenderDomain[]> {
    const region = requireRegion(account.region);
    if (account.apiKey === undefined)
      throw new KeyVerificationError('key_rejected', message('key_rejected', { regionGiven: true }));
    try {
      return await this.readDomains(region, account.apiKey);
    } catch (error) {
      throw translateFailure(error, true);
    }
  }

  /** Sends through v3 mail send with the tenant's key (see sendgrid-mail.ts for the answer classes). */
  send(account: SendingAccount, message: OutboundEmail): Promise<SendReceipt> {
    return this.mail.send(account, message);
  }

  /** Every page of authenticated domains. */
  private async readDomains(region: SendGridRegion, apiKey: string): Promise<SenderDomain[]> {
    const limit = SENDGRID_PAGINATION.domainsPageSize;
    const domains: SenderDomain[] = [];
    for (let page = 0; page < SENDGRID_PAGINATION.maxPages; page++) {
      const response = await this.api.get<unknown>(region, apiKey, SENDGRID_PATHS.authenticatedDomains, {
        limit,
        offset: page * limit,
      });
      const items = Array.isArray(response.body) ? (response.body as DomainItem[]) : [];
      for (const item of items) {
        if (typeof item.domain === 'string' && item.domain !== '') {
          domains.push({ domain: item.domain.toLowerCase(), valid: item.valid === true });
        }
      }
      if (items.length < limit) break;
    }
    return domains;
  }

  /**
   * Verified single senders' addresses. A restricted key often gets 403 here (observed):
   * that means "none available", not a failure.
   */
  private async readVerifiedSenders(region: SendGridRegion, apiKey: string): Promise<string[]> {
    const limit = SENDGRID_PAGINATION.verifiedSendersPageSize;
    const emails: string[] = [];
    let lastSeenId: number | undefined;
    for (let page = 0; page < SENDGRID_PAGINATION.maxPages; page++) {
      let items: VerifiedSenderItem[];
      try {
        const response = await this.api.get<{ results?: unknown }>(region, apiKey, SENDGRID_PATHS.verifiedSenders, {
          limit,
          ...(lastSeenId === undefined ? {} : { lastSeenID: lastSeenId }),
        });
        items = Array.isArray(response.body.results) ? (response.body.results as VerifiedSenderItem[]) : [];
      } catch (error) {
        if (error instanceof SendGridApiError && error.kind === 'http' && error.status === 403) return emails;
        throw error;
      }
      for (const item of items) {
        if (item.verified === true && typeof item.from_email === 'string') emails.push(item.from_email.toLowerCase());
      }
      const last = items[items.length - 1];
      if (items.length < limit || typeof last?.id !== 'number') break;
      lastSeenId = last.id;
    }
    return emails;
  }
}

function requireRegion(region: string): SendGridRegion {
  if (!isSendGridRegion(region)) {
    throw new KeyVerificationError('key_rejected', message('unknown_region', { region }));
  }
  return region;
}

function enforceScopePolicy(assessment: ScopeAssessment): void {
  if (assessment.isBillingKey) {
    throw new KeyVerificationError('billing_key', message('billing_key'));
  }
  const excessScopes = assessment.excess.map((entry) => entry.scope);
  const settings = settingsToSwitchOff(assessment.excess);
  if (assessment.missing.length > 0) {
    const detail = message('missing_scopes', {
      scopes: assessment.missing.map((entry) => entry.scope),
      grantedBy: assessment.missing.map((entry) => entry.grantedBy),
      switchOff: settings,
    });
    throw new KeyVerificationError('missing_scopes', detail, {
      extensions: { missingScopes: assessment.missing, excessScopes, settingsToSwitchOff: settings },
    });
  }
  if (assessment.excess.length > 0) {
    const detail = assessment.isFullAccessKey
      ? message('excess_scopes_full_access')
      : message('excess_scopes', { count: excessScopes.length, switchOff: settings });
    throw new KeyVerificationError('excess_scopes', detail, {
      extensions: { excessScopes, settingsToSwitchOff: settings, fullAccess: assessment.isFullAccessKey },
    });
  }
}

function senderOptions(domains: readonly SenderDomain[], verifiedSenderEmails: readonly string[]): SenderOption[] {
  const valid = validDomainNames(domains);
  if (valid.size === 0) {
    throw new KeyVerificationError('no_authenticated_domain', message('no_authenticated_domain'), {
      extensions: { domains: domains.map((domain) => domain.domain) },
    });
  }
  const options = new Map<string, SenderOption>();
  for (const email of verifiedSenderEmails) {
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (valid.has(domain) && !options.has(email)) options.set(email, { email, domain, source: 'verified_sender' });
  }
  for (const domain of valid) {
    for (const localPart of SUGGESTED_SENDER_LOCAL_PARTS) {
      const email = `${localPart}@${domain}`;
      if (!options.has(email)) options.set(email, { email, domain, source: 'suggested' });
    }
  }
  return [...options.values()];
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof SendGridApiError && error.kind === 'http' && error.status === 401;
}

/** Turns a failed SendGrid call into the domain error the caller should see. */
function translateFailure(error: unknown, regionGiven: boolean): Error {
  if (!(error instanceof SendGridApiError)) return error instanceof Error ? error : new Error(String(error));
  if (error.kind === 'http' && (error.status === 401 || error.status === 403)) {
    return new KeyVerificationError('key_rejected', message('key_rejected', { regionGiven }), {
      extensions: { sendgridStatus: error.status },
    });
  }
  const retryAfterSeconds =
    error.rateLimitReset === undefined ? undefined : Math.max(1, error.rateLimitReset - Math.floor(Date.now() / 1000));
  return new UpstreamUnavailableError('SendGrid', { cause: error, retryAfterSeconds });
}
