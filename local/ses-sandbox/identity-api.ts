import { randomBytes } from 'node:crypto';
import { isDnsName } from '../dns/index.js';
import { DKIM_HOSTED_ZONE } from './identity-records.js';
import { compact, epochSeconds, type OperationHandler, page } from './operation-context.js';
import { SesError } from './ses-errors.js';
import { type RegionState, resourceArn, type StoredIdentity } from './ses-state.js';
import { tenantsOf } from './tenant-api.js';

/** SES's default quota of identities per account and region. */
const MAX_IDENTITIES = 10_000;
const EMAIL_ADDRESS = /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/;

/** The identity with this name (case-insensitive); NotFoundException otherwise. */
export function requireIdentity(region: RegionState, name: string): StoredIdentity {
  const identity = region.identities[name.toLowerCase()];
  if (!identity) throw new SesError('NotFoundException', `Email identity ${name} does not exist.`);
  return identity;
}

/** Whether SES lets the identity send: verified, or re-checking after a verified state. */
export function isVerified(identity: StoredIdentity): boolean {
  return identity.verification.status === 'SUCCESS' || identity.verification.status === 'TEMPORARY_FAILURE';
}

/**
 * The identity that covers an address: the address's own identity if verified, else its domain's
 * (or a parent domain's) when verified — SES checks both ways (docs/ses-facts.md 2).
 */
export function coveringIdentity(region: RegionState, address: string): StoredIdentity | undefined {
  const own = region.identities[address.toLowerCase()];
  if (own && isVerified(own)) return own;
  const labels = address
    .slice(address.lastIndexOf('@') + 1)
    .toLowerCase()
    .split('.');
  for (let index = 0; index < labels.length - 1; index += 1) {
    const domain = region.identities[labels.slice(index).join('.')];
    if (domain?.type === 'DOMAIN' && isVerified(domain)) return domain;
  }
  return undefined;
}

/** Easy DKIM tokens look like SES's: 32 lower-case letters and digits. */
function dkimToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(32)].map((byte) => alphabet[byte % 32]).join('');
}

function dkimAttributes(identity: StoredIdentity): Record<string, unknown> {
  if (identity.type !== 'DOMAIN') return { SigningEnabled: false, Status: 'NOT_STARTED', Tokens: [] };
  return compact({
    SigningEnabled: true,
    Status: identity.verification.status,
    Tokens: identity.dkimTokens,
    SigningHostedZone: DKIM_HOSTED_ZONE,
    SigningAttributesOrigin: 'AWS_SES',
    NextSigningKeyLength: identity.signingKeyLength,
    CurrentSigningKeyLength: identity.signingKeyLength,
    LastKeyGenerationTimestamp: epochSeconds(identity.createdAt),
  });
}

function identityView(identity: StoredIdentity): Record<string, unknown> {
  const verification = identity.verification;
  return compact({
    IdentityType: identity.type,
    FeedbackForwardingStatus: true,
    VerifiedForSendingStatus: isVerified(identity),
    DkimAttributes: dkimAttributes(identity),
    MailFromAttributes: identity.mailFrom
      ? {
          MailFromDomain: identity.mailFrom.domain,
          MailFromDomainStatus: identity.mailFrom.check.status,
          BehaviorOnMxFailure: identity.mailFrom.behaviorOnMxFailure,
        }
      : undefined,
    Policies: {},
    Tags: identity.tags,
    ConfigurationSetName: identity.configurationSetName,
    VerificationStatus: verification.status,
    VerificationInfo: compact({
      LastCheckedTimestamp: epochSeconds(verification.lastCheckedAt),
      LastSuccessTimestamp: epochSeconds(verification.lastSuccessAt),
      ErrorType: verification.status === 'SUCCESS' ? undefined : verification.errorType,
    }),
  });
}

function requireConfigurationSet(region: RegionState, name: string | undefined): void {
  if (name !== undefined && !region.configurationSets[name]) {
    throw new SesError('NotFoundException', `Configuration set ${name} does not exist.`);
  }
}

/** Email identities: create (Easy DKIM), read, list, delete, custom MAIL FROM, default configuration set. */
export const IDENTITY_OPERATIONS: Record<string, OperationHandler> = {
  CreateEmailIdentity: (context) => {
    const { input, region } = context;
    const name = (input.EmailIdentity as string).trim();
    const type = name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN';
    const valid =
      type === 'EMAIL_ADDRESS'
        ? EMAIL_ADDRESS.test(name)
        : isDnsName(name) && !name.includes('_') && name.includes('.');
    if (!valid) throw new SesError('BadRequestException', `Invalid email identity: ${name}.`);
    const key = name.toLowerCase().replace(/\.$/, '');
    if (region.identities[key]) throw new SesError('AlreadyExistsException', `Email identity ${name} already exists.`);
    if (Object.keys(region.identities).length >= MAX_IDENTITIES) {
      throw new SesError('LimitExceededException', 'Maximum number of email identities reached.');
    }
    const signing = input.DkimSigningAttributes as Record<string, unknown> | undefined;
    if (signing?.DomainSigningSelector !== undefined || signing?.DomainSigningPrivateKey !== undefined) {
      throw new SesError('BadRequestException', 'The SES sandbox plays Easy DKIM only, not BYODKIM.');
    }
    const configurationSetName = input.ConfigurationSetName as string | undefined;
    requireConfigurationSet(region, configurationSetName);
    const now = context.now.toISOString();
    const identity: StoredIdentity = {
      name: key,
      type,
      createdAt: now,
      tags: (input.Tags as StoredIdentity['tags'] | undefined) ?? [],
      dkimTokens: type === 'DOMAIN' ? [dkimToken(), dkimToken(), dkimToken()] : [],
      signingKeyLength:
        (signing?.NextSigningKeyLength as StoredIdentity['signingKeyLength'] | undefined) ?? 'RSA_2048_BIT',
      verification: { status: 'PENDING', startedAt: now },
      ...(configurationSetName ? { configurationSetName } : {}),
    };
    region.identities[key] = identity;
    return {
      IdentityType: identity.type,
      VerifiedForSendingStatus: false,
      DkimAttributes: dkimAttributes(identity),
    };
  },

  GetEmailIdentity: (context) => identityView(requireIdentity(context.region, context.input.EmailIdentity as string)),

  ListEmailIdentities: (context) => {
    const identities = Object.values(context.region.identities).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const { items, nextToken } = page(identities, context.input);
    return compact({
      EmailIdentities: items.map((identity) => ({
        IdentityType: identity.type,
        IdentityName: identity.name,
        SendingEnabled: isVerified(identity),
        VerificationStatus: identity.verification.status,
      })),
      NextToken: nextToken,
    });
  },

  DeleteEmailIdentity: (context) => {
    const identity = requireIdentity(context.region, context.input.EmailIdentity as string);
    const arn = resourceArn(context.regionName, context.state.accountId, 'identity', identity.name);
    // SES refuses while a tenant still uses it (FACTS.md 1.4).
    const tenants = tenantsOf(context.region, arn);
    if (tenants.length > 0) {
      throw new SesError(
        'BadRequestException',
        `Email identity ${identity.name} is associated with tenants (${tenants.join(', ')}); remove the associations first.`,
      );
    }
    delete context.region.identities[identity.name];
    return {};
  },

  PutEmailIdentityMailFromAttributes: (context) => {
    const { input, region } = context;
    const identity = requireIdentity(region, input.EmailIdentity as string);
    const domain = (input.MailFromDomain as string | undefined)?.toLowerCase().replace(/\.$/, '');
    if (domain === undefined || domain === '') {
      delete identity.mailFrom;
      return {};
    }
    if (identity.type !== 'DOMAIN') {
      throw new SesError('BadRequestException', 'A custom MAIL FROM domain is set on a domain identity.');
    }
    // A subdomain of the identity (FACTS.md 2.4).
    if (!isDnsName(domain) || !domain.endsWith(`.${identity.name}`)) {
      throw new SesError('BadRequestException', `MAIL FROM domain ${domain} must be a subdomain of ${identity.name}.`);
    }
    const behaviorOnMxFailure =
      (input.BehaviorOnMxFailure as 'USE_DEFAULT_VALUE' | 'REJECT_MESSAGE' | undefined) ?? 'USE_DEFAULT_VALUE';
    const unchanged = identity.mailFrom?.domain === domain;
    identity.mailFrom = {
      domain,
      behaviorOnMxFailure,
      check:
        unchanged && identity.mailFrom
          ? identity.mailFrom.check
          : { status: 'PENDING', startedAt: context.now.toISOString() },
    };
    return {};
  },

  PutEmailIdentityConfigurationSetAttributes: (context) => {
    const { input, region } = context;
    const identity = requireIdentity(region, input.EmailIdentity as string);
    const name = input.ConfigurationSetName as string | undefined;
    requireConfigurationSet(region, name);
    if (name) identity.configurationSetName = name;
    else delete identity.configurationSetName;
    return {};
  },
};
