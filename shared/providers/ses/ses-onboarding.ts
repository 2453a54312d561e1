import {
  AlreadyExistsException,
  CreateEmailIdentityCommand,
  CreateTenantCommand,
  CreateTenantResourceAssociationCommand,
  DeleteEmailIdentityCommand,
  DeleteTenantResourceAssociationCommand,
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  GetTenantCommand,
  NotFoundException,
  PutEmailIdentityMailFromAttributesCommand,
  type SESv2Client,
  UpdateReputationEntityPolicyCommand,
} from '@aws-sdk/client-sesv2';
import { UpstreamUnavailableError } from '../../problem-catalog.js';
import {
  type DomainDnsRecord,
  type DomainOnboarding,
  DomainUnavailableError,
  type OnboardedDomain,
  type SendingAccount,
  type SendingDomainStatus,
} from '../email-provider.js';
import { ignoreAlreadyExists, sesTenantName, tenantIdOfSesTenantName, tenantsOf } from './ses-resources.js';

/** The tag that marks an identity as created for one of our tenants, so a resumed onboarding recognises its own. */
export const TENANT_TAG_KEY = 'email-integrations:tenant';

/**
 * The tag that names our tenant on an SES tenant whose name does not read back to it (an id with
 * `.`, `:` or `@` gets a hashed name): how SES's `Sending Status` events for it find the tenant.
 */
export const TENANT_ID_TAG_KEY = 'email-integrations:tenant-id';

/** Where bounces go: the custom MAIL FROM subdomain of every onboarded domain. */
export const MAIL_FROM_LABEL = 'bounce';

/** The DKIM host SES names when an identity reports no `SigningHostedZone`. */
const DEFAULT_DKIM_ZONE = 'dkim.amazonses.com';

/** What onboarding needs from the SES provider: its clients and its ARNs. */
export interface SesOnboardingContext {
  client(region: string): SESv2Client;
  /** An ARN of this account's SES resource (`identity/<name>`, `configuration-set/<name>`). */
  arn(region: string, resource: string): string;
  partition: string;
  /** The stack's configuration set: new identities use it and each SES tenant is associated with it. */
  configurationSet?: string;
}

type TenantAccount = SendingAccount & { tenantId: string };

/**
 * The one implementation of a tenant's set-up at Amazon SES: the domain routes (self-service)
 * and `npm run ops -- migrate` (operator adoption) both run these steps. Each step is
 * idempotent, so a second call (or one after a crash between steps) resumes and changes
 * nothing once done:
 * 1. refuse a domain whose identity is another SES tenant's (or not created for this tenant);
 * 2. the tenant's SES tenant (`CreateTenant`, tenant-level suppression of bounces and
 *    complaints; tagged with the tenant id when its name is hashed) under the `standard`
 *    reputation policy, associated with the configuration set;
 * 3. the domain identity with Easy DKIM (RSA 2048), under the stack's configuration set,
 *    tagged with the SES tenant (`email-integrations:tenant`);
 * 4. custom MAIL FROM `bounce.<domain>`;
 * 5. the identity associated with the SES tenant.
 */
export class SesDomainOnboarding implements DomainOnboarding {
  constructor(private readonly context: SesOnboardingContext) {}

  async start(account: TenantAccount, rawDomain: string): Promise<OnboardedDomain> {
    const domain = rawDomain.toLowerCase();
    const { region } = account;
    const client = this.context.client(region);
    const tenantName = sesTenantName(account.tenantId);
    const identityArn = this.context.arn(region, `identity/${domain}`);
    try {
      const holders = await tenantsOf(client, identityArn);
      if (holders.some((holder) => holder !== tenantName)) throw new DomainUnavailableError(domain);
      await this.ensureTenant(client, region, tenantName, account.tenantId);
      await this.ensureIdentity(client, tenantName, domain, holders.includes(tenantName));
      await client.send(
        new PutEmailIdentityMailFromAttributesCommand({
          EmailIdentity: domain,
          MailFromDomain: `${MAIL_FROM_LABEL}.${domain}`,
          // Until the MX record is found, SES sends with its own MAIL FROM instead of refusing mail.
          BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
        }),
      );
      await this.associate(client, tenantName, this.withConfigurationSet(region, [identityArn]));
      const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
      return describeDomain(domain, region, identity);
    } catch (error) {
      if (error instanceof DomainUnavailableError) throw error;
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
  }

  async status(account: TenantAccount, rawDomain: string): Promise<OnboardedDomain | undefined> {
    const domain = rawDomain.toLowerCase();
    const client = this.context.client(account.region);
    try {
      const holders = await tenantsOf(client, this.context.arn(account.region, `identity/${domain}`));
      if (!holders.includes(sesTenantName(account.tenantId))) return undefined;
      const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
      return describeDomain(domain, account.region, identity);
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
  }

  async remove(account: TenantAccount, rawDomain: string): Promise<void> {
    const domain = rawDomain.toLowerCase();
    const client = this.context.client(account.region);
    const identityArn = this.context.arn(account.region, `identity/${domain}`);
    try {
      // SES refuses to delete an identity still associated with a tenant: the association goes first.
      await ignoreNotFound(
        client.send(
          new DeleteTenantResourceAssociationCommand({
            TenantName: sesTenantName(account.tenantId),
            ResourceArn: identityArn,
          }),
        ),
      );
      // Only an identity no other SES tenant holds is deleted (the association alone was ours).
      if ((await tenantsOf(client, identityArn)).length > 0) return;
      await ignoreNotFound(client.send(new DeleteEmailIdentityCommand({ EmailIdentity: domain })));
    } catch (error) {
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
  }

  /**
   * Operator adoption (`npm run ops -- migrate`): the same SES tenant set-up as onboarding, then
   * the domains (verified by hand in the platform's account) associated with it. Returns its name.
   */
  async adopt(account: TenantAccount, domains: readonly string[]): Promise<string> {
    const client = this.context.client(account.region);
    const tenantName = sesTenantName(account.tenantId);
    try {
      await this.ensureTenant(client, account.region, tenantName, account.tenantId);
      const names = [...new Set(domains.map((name) => name.toLowerCase()))];
      const identities = names.map((domain) => this.context.arn(account.region, `identity/${domain}`));
      await this.associate(client, tenantName, this.withConfigurationSet(account.region, identities));
    } catch (error) {
      throw new UpstreamUnavailableError('Amazon SES', { cause: error });
    }
    return tenantName;
  }

  /** The resources and the stack's configuration set: a send under a tenant names one associated with it (docs/ses-facts.md 1.5). */
  private withConfigurationSet(region: string, arns: readonly string[]): string[] {
    const set = this.context.configurationSet;
    return set ? [...arns, this.context.arn(region, `configuration-set/${set}`)] : [...arns];
  }

  /**
   * The tenant's SES tenant, created if missing, under the `standard` reputation policy (SES
   * pauses it on a high-severity finding). Returns its name.
   */
  private async ensureTenant(
    client: SESv2Client,
    region: string,
    tenantName: string,
    tenantId: string,
  ): Promise<string> {
    let tenantArn: string | undefined;
    try {
      const created = await client.send(
        new CreateTenantCommand({
          TenantName: tenantName,
          SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'], SuppressionScope: 'TENANT' },
          // A name that reads back to the tenant needs no tag (ses-resources.ts tenantIdOfSesTenantName).
          ...(tenantIdOfSesTenantName(tenantName) === tenantId
            ? {}
            : { Tags: [{ Key: TENANT_ID_TAG_KEY, Value: tenantId }] }),
        }),
      );
      tenantArn = created.TenantArn;
    } catch (error) {
      if (!(error instanceof AlreadyExistsException)) throw error;
    }
    tenantArn ??= (await client.send(new GetTenantCommand({ TenantName: tenantName }))).Tenant?.TenantArn;
    if (!tenantArn) throw new Error(`SES returned no ARN for tenant ${tenantName}.`);
    await client.send(
      new UpdateReputationEntityPolicyCommand({
        ReputationEntityType: 'RESOURCE',
        ReputationEntityReference: tenantArn,
        ReputationEntityPolicy: `arn:${this.context.partition}:ses:${region}:aws:reputation-policy/standard`,
      }),
    );
    return tenantName;
  }

  /** Associates resources with the SES tenant (already associated is fine). */
  private async associate(client: SESv2Client, tenantName: string, arns: readonly string[]): Promise<void> {
    for (const arn of arns) {
      await ignoreAlreadyExists(
        client.send(new CreateTenantResourceAssociationCommand({ TenantName: tenantName, ResourceArn: arn })),
      );
    }
  }

  /**
   * Creates the domain identity (Easy DKIM, RSA 2048), tagged with the tenant. One that exists
   * already is this tenant's only if it is associated with its SES tenant or carries its tag
   * (an earlier attempt stopped before associating it); any other is refused.
   */
  private async ensureIdentity(
    client: SESv2Client,
    tenantName: string,
    domain: string,
    associated: boolean,
  ): Promise<void> {
    try {
      await client.send(
        new CreateEmailIdentityCommand({
          EmailIdentity: domain,
          DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
          Tags: [{ Key: TENANT_TAG_KEY, Value: tenantName }],
          ...(this.context.configurationSet ? { ConfigurationSetName: this.context.configurationSet } : {}),
        }),
      );
    } catch (error) {
      if (!(error instanceof AlreadyExistsException)) throw error;
      if (associated) return;
      const existing = await client.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
      const tagged = existing.Tags?.some((tag) => tag.Key === TENANT_TAG_KEY && tag.Value === tenantName);
      if (!tagged) throw new DomainUnavailableError(domain);
    }
  }
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
}

const STATUS: Readonly<Record<string, SendingDomainStatus>> = {
  SUCCESS: 'verified',
  FAILED: 'failed',
  TEMPORARY_FAILURE: 'temporary_failure',
};

/** SES's verdict on a domain identity and the records to publish for it, in neutral terms. */
export function describeDomain(
  domain: string,
  region: string,
  identity: GetEmailIdentityCommandOutput,
): OnboardedDomain {
  const dkim = identity.DkimAttributes;
  const verdict = STATUS[identity.VerificationStatus ?? dkim?.Status ?? ''] ?? 'pending';
  // Only an identity SES lets send counts as verified (its DKIM may succeed before sending is allowed).
  const status = verdict === 'verified' && identity.VerifiedForSendingStatus !== true ? 'pending' : verdict;
  const mailFromDomain = identity.MailFromAttributes?.MailFromDomain ?? `${MAIL_FROM_LABEL}.${domain}`;
  const zone = dkim?.SigningHostedZone ?? DEFAULT_DKIM_ZONE;
  const records: DomainDnsRecord[] = [
    ...(dkim?.Tokens ?? []).map(
      (token): DomainDnsRecord => ({
        purpose: 'dkim',
        type: 'CNAME',
        name: `${token}._domainkey.${domain}`,
        value: `${token}.${zone}`,
      }),
    ),
    {
      purpose: 'mail_from_mx',
      type: 'MX',
      name: mailFromDomain,
      value: `10 feedback-smtp.${region}.amazonses.com`,
    },
    { purpose: 'mail_from_spf', type: 'TXT', name: mailFromDomain, value: 'v=spf1 include:amazonses.com ~all' },
  ];
  return {
    domain,
    region,
    status,
    mailFrom: {
      domain: mailFromDomain,
      status: STATUS[identity.MailFromAttributes?.MailFromDomainStatus ?? ''] ?? 'pending',
    },
    records,
  };
}
