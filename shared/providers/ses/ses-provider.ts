import {
  AccountSuspendedException,
  BadRequestException,
  GetAccountCommand,
  GetEmailIdentityCommand,
  GetTenantCommand,
  InternalServiceErrorException,
  LimitExceededException,
  ListTenantResourcesCommand,
  type ListTenantResourcesCommandOutput,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SendEmailCommand,
  type SendEmailCommandInput,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mapBounded } from '../../map-bounded.js';
import { UpstreamUnavailableError } from '../../problem-catalog.js';
import type { EmailAddress, OutboundEmail } from '../../sending/outbound-email.js';
import { isTenantId } from '../../tenant-id.js';
import {
  type DomainAdoption,
  type EmailProvider,
  type PlatformAccount,
  type SenderDomain,
  SendFailure,
  type SendingAccount,
  type SendReceipt,
} from '../email-provider.js';
import { isReservedTagName, ourMessageTags } from './ses-message-tags.js';
import { SesDomainOnboarding, TENANT_ID_TAG_KEY } from './ses-onboarding.js';
import { tenantsOf } from './ses-resources.js';
import { isOurSesTenantName, sesTenantName } from './ses-tenant-name.js';

export { sesTenantName };

/** Options for {@link SesProvider}. */
export interface SesProviderOptions {
  /** One client per region, built on demand (tests pass a factory returning a mocked client). */
  clientFor?: (region: string) => SESv2Client;
  /** The AWS account that owns the identities: needed to name them by ARN for SES tenants. */
  accountId?: string;
  /** The AWS partition of the ARNs (default `aws`). */
  partition?: string;
  /** The stack's configuration set: new identities use it, and each SES tenant is associated with it. */
  configurationSet?: string;
}

/** Domain identities in a tenant's listing come as ARNs: `arn:<partition>:ses:<region>:<account>:identity/<name>`. */
const IDENTITY_ARN = /^arn:[a-z0-9-]+:ses:[a-z0-9-]+:\d{12}:identity\/([^/@]+)$/;

/**
 * Amazon SES (v2) behind the same interface as SendGrid. SES needs no stored key: the service's
 * own role sends. Each of our tenants maps to its own SES tenant (`TenantName` on every send),
 * and a tenant's senders must be at identities associated with that SES tenant — never merely
 * at some verified identity of the platform's account, which would let one tenant send as another.
 */
export class SesProvider implements EmailProvider {
  readonly name = 'ses' as const;
  private readonly clients = new Map<string, SESv2Client>();
  /** Operators hand verified domains of the platform's account to a tenant (`npm run ops -- migrate`). */
  readonly adoption: DomainAdoption = {
    adoptable: (account, domains) => this.adoptableDomains(account, domains),
    // The same SES tenant set-up as self-service onboarding (suppression, reputation policy, configuration set).
    adopt: (account, domains) => this.onboarding.adopt(account, domains),
  };

  /** Tenants onboard their own sending domains (issue 12): each step idempotent. */
  readonly onboarding: SesDomainOnboarding;

  /** The platform's SES account (`GetAccount`): still in the SES sandbox, or paused, is shown, not hidden. */
  readonly platformAccount: PlatformAccount = {
    status: async (region) => {
      try {
        const account = await this.client(region).send(new GetAccountCommand({}));
        return {
          productionAccess: account.ProductionAccessEnabled === true,
          sendingEnabled: account.SendingEnabled !== false,
        };
      } catch (error) {
        throw new UpstreamUnavailableError('Amazon SES', { cause: error });
      }
    },
  };

  constructor(private readonly options: SesProviderOptions = {}) {
    this.onboarding = new SesDomainOnboarding({
      client: (region) => this.client(region),
      arn: (region, resource) => this.arn(region, resource),
      partition: options.partition ?? 'aws',
      ...(options.configurationSet ? { configurationSet: options.configurationSet } : {}),
    });
  }

  /**
   * The domain identities associated with the tenant's own SES tenant (`ListTenantResources`),
   * each valid when verified for sending with DKIM. A tenant with no SES tenant has none.
   */
  async senderDomains(account: SendingAccount): Promise<SenderDomain[]> {
    if (!account.tenantId) return [];
    const client = this.client(account.region);
    try {
      const names = await this.tenantDomainNames(client, sesTenantName(account.tenantId));
      return await mapBounded(names, 5, async (domain) => ({
        domain,
        valid: await this.verifiedDomain(client, domain),
      }));
    } catch (error) {
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
  }

  async send(account: SendingAccount, message: OutboundEmail): Promise<SendReceipt> {
    try {
      const input = toSesSendEmail(account, message, this.options.configurationSet);
      const result = await this.client(account.region).send(new SendEmailCommand(input));
      return { providerMessageId: result.MessageId ?? null };
    } catch (error) {
      throw classifySesError(error);
    }
  }

  /**
   * Whether SES has paused the tenant's SES tenant (`GetTenant` → `SendingStatus` `DISABLED`); a
   * tenant without an SES tenant is not paused. Status events are best effort (FACTS.md 1.9), so
   * the health check asks this too.
   */
  async sendingPaused(account: SendingAccount): Promise<boolean> {
    if (!account.tenantId) return false;
    try {
      const answer = await this.client(account.region).send(
        new GetTenantCommand({ TenantName: sesTenantName(account.tenantId) }),
      );
      return answer.Tenant?.SendingStatus === 'DISABLED';
    } catch (error) {
      if (error instanceof NotFoundException) return false;
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
  }

  /**
   * Which of our tenants an SES tenant with a hashed name belongs to: its tenant-id tag
   * (`GetTenant`), accepted only when that id's name is this name. Undefined for an SES tenant
   * without the tag (a readable `ei-<tenant id>` name reads back without SES: ses-tenant-name.ts).
   */
  async tenantIdOf(region: string, name: string): Promise<string | undefined> {
    if (!isOurSesTenantName(name)) return undefined;
    let tags: Array<{ Key?: string; Value?: string }>;
    try {
      tags = (await this.client(region).send(new GetTenantCommand({ TenantName: name }))).Tenant?.Tags ?? [];
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
    const tagged = tags.find((tag) => tag.Key === TENANT_ID_TAG_KEY)?.Value;
    return isTenantId(tagged) && sesTenantName(tagged) === name ? tagged : undefined;
  }

  /**
   * Each domain, valid when it is verified for sending with DKIM in the platform's account and
   * associated with no SES tenant but this tenant's own (`ListResourceTenants`).
   */
  private async adoptableDomains(
    account: SendingAccount & { tenantId: string },
    domains: readonly string[],
  ): Promise<SenderDomain[]> {
    const client = this.client(account.region);
    const ours = sesTenantName(account.tenantId);
    const names = [...new Set(domains.map((domain) => domain.toLowerCase()))];
    try {
      return await mapBounded(names, 5, async (domain) => {
        if (!(await this.verifiedDomain(client, domain))) return { domain, valid: false };
        const holders = await tenantsOf(client, this.identityArn(account.region, domain));
        return { domain, valid: holders.every((holder) => holder === ours) };
      });
    } catch (error) {
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
  }

  /** Every domain identity associated with the SES tenant, lower-cased; none when the tenant does not exist. */
  private async tenantDomainNames(client: SESv2Client, tenantName: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      let page: ListTenantResourcesCommandOutput;
      try {
        page = await client.send(
          new ListTenantResourcesCommand({
            TenantName: tenantName,
            Filter: { RESOURCE_TYPE: 'EMAIL_IDENTITY' },
            PageSize: 100,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof NotFoundException) return [];
        throw error;
      }
      for (const resource of page.TenantResources ?? []) {
        const name = IDENTITY_ARN.exec(resource.ResourceArn ?? '')?.[1];
        if (resource.ResourceType === 'EMAIL_IDENTITY' && name) names.push(name.toLowerCase());
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return [...new Set(names)];
  }

  /** Whether a domain identity exists and may send: verified, with DKIM verified. */
  private async verifiedDomain(client: SESv2Client, domain: string): Promise<boolean> {
    try {
      const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
      return (
        identity.IdentityType !== 'EMAIL_ADDRESS' &&
        identity.VerifiedForSendingStatus === true &&
        identity.DkimAttributes?.Status === 'SUCCESS'
      );
    } catch (error) {
      if (error instanceof NotFoundException) return false;
      throw error;
    }
  }

  private identityArn(region: string, domain: string): string {
    return this.arn(region, `identity/${domain}`);
  }

  /** An ARN of this account's SES resource (`identity/<name>`, `configuration-set/<name>`). */
  private arn(region: string, resource: string): string {
    const accountId = this.options.accountId;
    if (!accountId) throw new Error('SesProvider needs the AWS account id to name resources for SES tenants.');
    return `arn:${this.options.partition ?? 'aws'}:ses:${region}:${accountId}:${resource}`;
  }

  private client(region: string): SESv2Client {
    let client = this.clients.get(region);
    if (!client) {
      client =
        this.options.clientFor?.(region) ??
        new SESv2Client({
          region,
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
        });
      this.clients.set(region, client);
    }
    return client;
  }
}

/** RFC 5322 address with an RFC 2047-encoded display name when it is not plain ASCII. */
export function formatAddress(address: EmailAddress): string {
  if (!address.name) return address.email;
  const name = /^[\x20-\x7e]*$/.test(address.name)
    ? `"${address.name.replace(/["\\]/g, '\\$&')}"`
    : `=?UTF-8?B?${Buffer.from(address.name, 'utf8').toString('base64')}?=`;
  return `${name} <${address.email}>`;
}

/** SES message tag names and values allow only letters, digits, `_` and `-`, at most 256 characters (the model's MessageTag). */
export function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';
}

/**
 * Maps the neutral message onto SES `SendEmail`, under the tenant's SES tenant and the stack's
 * configuration set, tagged with our messageId and tenant so its events map back (ses-message-tags.ts).
 */
export function toSesSendEmail(
  account: SendingAccount,
  message: OutboundEmail,
  configurationSet?: string,
): SendEmailCommandInput {
  const utf8 = (data: string) => ({ Data: data, Charset: 'UTF-8' });
  const messageId = message.customArgs?.messageId;
  const tags = [
    ...(message.categories ?? []).map((category, index) => ({ Name: `category${index}`, Value: tagValue(category) })),
    ...Object.entries(message.customArgs ?? {})
      .map(([name, value]) => ({ Name: tagValue(name), Value: tagValue(value) }))
      // Our own tags map events back to the message: a custom arg never takes their names.
      .filter((tag) => !isReservedTagName(tag.Name)),
    ...(account.tenantId && messageId ? ourMessageTags(account.tenantId, messageId) : []),
  ];
  return {
    FromEmailAddress: formatAddress(message.from),
    Destination: {
      ToAddresses: message.to.map(formatAddress),
      ...(message.cc?.length ? { CcAddresses: message.cc.map(formatAddress) } : {}),
      ...(message.bcc?.length ? { BccAddresses: message.bcc.map(formatAddress) } : {}),
    },
    ...(message.replyTo ? { ReplyToAddresses: [formatAddress(message.replyTo)] } : {}),
    Content: message.templateId
      ? { Template: { TemplateName: message.templateId, TemplateData: JSON.stringify(message.templateData ?? {}) } }
      : {
          Simple: {
            Subject: utf8(message.subject ?? ''),
            Body: {
              ...(message.text === undefined ? {} : { Text: utf8(message.text) }),
              ...(message.html === undefined ? {} : { Html: utf8(message.html) }),
            },
          },
        },
    ...(tags.length > 0 ? { EmailTags: tags } : {}),
    ...(account.tenantId ? { TenantName: sesTenantName(account.tenantId) } : {}),
    // A send under a tenant needs a configuration set associated with that tenant (docs/ses-facts.md 1.2).
    ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
  };
}

/** SES's exceptions in the same outcome classes as SendGrid's answers. */
export function classifySesError(error: unknown): SendFailure {
  const reason = error instanceof Error ? error.message : 'Amazon SES failed';
  const details = { cause: error };
  if (error instanceof MailFromDomainNotVerifiedException) return new SendFailure('sender_rejected', reason, details);
  if (error instanceof MessageRejected) {
    // SES says "Email address is not verified" when the from address is not a verified identity.
    return new SendFailure(/not verified/i.test(reason) ? 'sender_rejected' : 'message_rejected', reason, details);
  }
  if (error instanceof BadRequestException) return new SendFailure('message_rejected', reason, details);
  // SES paused the tenant (or the account): not a broken credential, so the card is left to SES's status events.
  if (error instanceof SendingPausedException) return new SendFailure('sending_paused', reason, details);
  // The account cannot send any more: like a rejected SendGrid key, it needs a person.
  if (error instanceof AccountSuspendedException || error instanceof NotFoundException) {
    return new SendFailure('key_rejected', reason, details);
  }
  if (error instanceof TooManyRequestsException || error instanceof LimitExceededException) {
    return new SendFailure('throttled', reason, { ...details, retryAfterSeconds: 1 });
  }
  if (error instanceof InternalServiceErrorException) return new SendFailure('transient', reason, details);
  const name = (error as { name?: string; code?: string })?.name ?? '';
  const code = (error as { code?: string })?.code ?? '';
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)$/.test(code)) return new SendFailure('transient', reason, details);
  if (name === 'AccessDeniedException') return new SendFailure('key_rejected', reason, details);
  // Timeouts and resets after the request left: SES may have accepted it.
  return new SendFailure('outcome_unknown', reason, details);
}
