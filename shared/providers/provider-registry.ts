import type {
  CredentialProvider,
  DomainAdoption,
  DomainOnboarding,
  EmailProvider,
  PlatformAccount,
  ProviderName,
  SendingAccount,
} from './email-provider.js';
import { SendGridApi, type SendGridApiOptions } from './sendgrid/sendgrid-api.js';
import { SendGridProvider, type SendGridTransport } from './sendgrid/sendgrid-provider.js';
import type { SesProvider, SesProviderOptions } from './ses/ses-provider.js';

/** Every provider by the name an integration record carries: `providers[record.provider]`. */
export interface ProviderRegistry extends Readonly<Record<ProviderName, EmailProvider>> {
  /** SendGrid also checks pasted keys (the key routes). */
  readonly sendgrid: CredentialProvider;
}

/** What the registry is built from: explicit settings, never the environment. */
export interface ProviderRegistryConfig {
  /** SendGrid's API: a ready-made transport (tests), or the settings to build one. */
  sendGrid?: { api: SendGridTransport } | SendGridApiOptions;
  /** Amazon SES: its options, or (tests) a ready-made provider to load instead. */
  ses?: SesProviderOptions | { provider: SesCapabilities };
}

/**
 * Builds each provider once. Amazon SES is loaded on first use (dynamic import), so a cold
 * start that serves only SendGrid tenants never loads the SES SDK.
 */
export function createProviderRegistry(config: ProviderRegistryConfig = {}): ProviderRegistry {
  const sendGrid = config.sendGrid ?? {};
  return {
    sendgrid: new SendGridProvider({ api: 'api' in sendGrid ? sendGrid.api : new SendGridApi(sendGrid) }),
    ses: lazySes(config.ses ?? {}),
  };
}

/** What the SES provider offers besides sending: domain adoption (operators) and onboarding (tenants). */
type SesCapabilities = EmailProvider & {
  sendingPaused(account: SendingAccount): Promise<boolean>;
  adoption: DomainAdoption;
  onboarding: DomainOnboarding;
  platformAccount: PlatformAccount;
};

/** Amazon SES behind a stand-in that imports the real provider when first called. */
function lazySes(config: NonNullable<ProviderRegistryConfig['ses']>): SesCapabilities {
  let loaded: Promise<SesCapabilities> | undefined;
  const ses = () => {
    loaded ??=
      'provider' in config
        ? Promise.resolve(config.provider)
        : import('./ses/ses-provider.js').then((module): SesProvider => new module.SesProvider(config));
    return loaded;
  };
  type TenantAccount = SendingAccount & { tenantId: string };
  return {
    name: 'ses',
    senderDomains: async (account) => (await ses()).senderDomains(account),
    send: async (account, message) => (await ses()).send(account, message),
    adoption: {
      adoptable: async (account: TenantAccount, domains) => (await ses()).adoption.adoptable(account, domains),
      adopt: async (account: TenantAccount, domains) => (await ses()).adoption.adopt(account, domains),
    },
    onboarding: {
      start: async (account: TenantAccount, domain) => (await ses()).onboarding.start(account, domain),
      status: async (account: TenantAccount, domain) => (await ses()).onboarding.status(account, domain),
      remove: async (account: TenantAccount, domain) => (await ses()).onboarding.remove(account, domain),
    },
    platformAccount: { status: async (region) => (await ses()).platformAccount.status(region) },
    sendingPaused: async (account) => (await ses()).sendingPaused(account),
  };
}
