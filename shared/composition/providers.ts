import type { PlatformAccount } from '../providers/email-provider.js';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry.js';
import {
  type EnvironmentVariables,
  type SendGridSettings,
  type SesSettings,
  sendGridSettings,
  sesSettings,
} from './environment.js';
import { sendGridApi } from './sendgrid.js';

/** What the provider registry is built from. */
export interface ProviderSettings {
  sendGrid: SendGridSettings;
  ses: SesSettings;
}

/** Parses the providers' settings; fails naming the first malformed variable. */
export function providerSettings(env: EnvironmentVariables = process.env): ProviderSettings {
  return { sendGrid: sendGridSettings(env), ses: sesSettings(env) };
}

/**
 * Every email provider by name (`providers[record.provider]`), built once per cold start;
 * Amazon SES is loaded on first use, so SendGrid-only cold starts never load its SDK.
 */
export function providerRegistry(settings: ProviderSettings = providerSettings()): ProviderRegistry {
  return createProviderRegistry({ sendGrid: { api: sendGridApi(settings.sendGrid) }, ses: settings.ses });
}

/**
 * The platform's Amazon SES account (`GetAccount`, `SES_ACCOUNT_ID`), for the warnings on the card
 * and the domain list; the SES SDK is loaded on first use, so SendGrid tenants' cards never load it.
 */
export function sesPlatformAccount(env: EnvironmentVariables = process.env): PlatformAccount {
  const settings = sesSettings(env);
  let provider: Promise<PlatformAccount> | undefined;
  return {
    status: async (region) => {
      provider ??= import('../providers/ses/ses-provider.js').then(
        (module) => new module.SesProvider(settings).platformAccount,
      );
      return (await provider).status(region);
    },
  };
}
