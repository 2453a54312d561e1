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
