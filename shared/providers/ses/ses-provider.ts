import { createHash } from 'node:crypto';
import {
  AccountSuspendedException,
  AlreadyExistsException,
  BadRequestException,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  InternalServiceErrorException,
  LimitExceededException,
  ListEmailIdentitiesCommand,
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
import {
  type MailTransport,
  type SenderDomain,
  SendFailure,
  type SendingAccount,
  type SendReceipt,
} from '../email-provider.js';

/** SES tenant names: letters, digits, `-` and `_`, at most 64 characters. */
const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Our tenant's SES tenant name: readable where the id allows, always unique (a hash of the
 * id is appended whenever characters had to be replaced or cut).
 */
export function sesTenantName(tenantId: string): string {
  const readable = `ei-${tenantId}`;
  if (TENANT_NAME.test(readable)) return readable;
  const hash = createHash('sha256').update(tenantId).digest('hex').slice(0, 12);
  return `ei-${tenantId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 47)}-${hash}`;
}

export interface SesProviderOptions {
  /** One client per region, built on demand (tests pass a factory returning a mocked client). */
  clientFor?: (region: string) => SESv2Client;
  /** The AWS account that owns the identities: needed to name them by ARN for SES tenants. */
  accountId?: string;
}

/**
 * Amazon SES (v2) behind the same seam as SendGrid. SES needs no stored key: the service's
 * own role sends, scoped to the verified identities. Each of our tenants maps to its own SES
 * tenant (`TenantName` on every send), so SES keeps reputation and suppression per tenant.
 */
export class SesProvider implements MailTransport {
  readonly name = 'ses' as const;
  private readonly clients = new Map<string, SESv2Client>();

  constructor(private readonly options: SesProviderOptions = {}) {}

  /** The account's domain identities in the region that may send: verified and DKIM-verified. */
  async listSenderDomains(region: string): Promise<SenderDomain[]> {
    const client = this.client(region);
    const names: string[] = [];
    try {
      let nextToken: string | undefined;
      do {
        const page = await client.send(new ListEmailIdentitiesCommand({ PageSize: 100, NextToken: nextToken }));
        for (const identity of page.EmailIdentities ?? []) {
          if (identity.IdentityType === 'DOMAIN' && identity.IdentityName)
            names.push(identity.IdentityName.toLowerCase());
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return await mapBounded(names, 5, async (domain) => {
        const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
        const valid = identity.VerifiedForSendingStatus === true && identity.DkimAttributes?.Status === 'SUCCESS';
        return { domain, valid };
      });
    } catch (error) {
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
  }

  /** Creates the tenant's SES tenant (if missing) and associates the domain identities it sends from. */
  async prepareTenant(region: string, tenantId: string, domains: string[]): Promise<string> {
    const client = this.client(region);
    const tenantName = sesTenantName(tenantId);
    const accountId = this.options.accountId;
    if (!accountId) throw new Error('SesProvider needs the AWS account id to associate identities with SES tenants.');
    try {
      await ignoreAlreadyExists(client.send(new CreateTenantCommand({ TenantName: tenantName })));
      for (const domain of new Set(domains)) {
        await ignoreAlreadyExists(
          client.send(
            new CreateTenantResourceAssociationCommand({
              TenantName: tenantName,
              ResourceArn: `arn:aws:ses:${region}:${accountId}:identity/${domain}`,
            }),
          ),
        );
      }
    } catch (error) {
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
    return tenantName;
  }

  async send(account: SendingAccount, message: OutboundEmail): Promise<SendReceipt> {
    try {
      const result = await this.client(account.region).send(new SendEmailCommand(toSesSendEmail(account, message)));
      return { providerMessageId: result.MessageId ?? null };
    } catch (error) {
      throw classifySesError(error);
    }
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

async function ignoreAlreadyExists(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof AlreadyExistsException)) throw error;
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

/** SES message tags allow letters, digits, `_`, `-` and `.`, at most 256 characters. */
function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 256) || '_';
}

/** Maps the neutral message onto SES `SendEmail`, under the tenant's SES tenant. */
export function toSesSendEmail(account: SendingAccount, message: OutboundEmail): SendEmailCommandInput {
  const utf8 = (data: string) => ({ Data: data, Charset: 'UTF-8' });
  const tags = [
    ...(message.categories ?? []).map((category, index) => ({ Name: `category${index}`, Value: tagValue(category) })),
    ...Object.entries(message.customArgs ?? {}).map(([name, value]) => ({
      Name: tagValue(name),
      Value: tagValue(value),
    })),
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
    ...(account.configurationSet ? { ConfigurationSetName: account.configurationSet } : {}),
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
  // The account or tenant cannot send any more: like a rejected SendGrid key, it needs a person.
  if (
    error instanceof AccountSuspendedException ||
    error instanceof SendingPausedException ||
    error instanceof NotFoundException
  ) {
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
