import type { KeylessDomains } from '../integrations/health-check.js';
import type { MailTransport } from '../providers/email-provider.js';
import type { SesProvider } from '../providers/ses/ses-provider.js';
import { type SesSettings, sesSettings } from './environment.js';

/** Amazon SES, its module loaded now (not bundled into functions that merely might need it). */
export async function loadSesProvider(settings: SesSettings = sesSettings()): Promise<SesProvider> {
  const module = await import('../providers/ses/ses-provider.js');
  return new module.SesProvider(settings);
}

/** Amazon SES for tenants moved there, loaded on first use: most cold starts never need it. */
export function lazySesProvider(settings: SesSettings = sesSettings()): () => Promise<SesProvider> {
  let provider: Promise<SesProvider> | undefined;
  return () => {
    provider ??= loadSesProvider(settings);
    return provider;
  };
}

/** SES as the send path's transport for tenants moved there. */
export function lazySesTransport(settings: SesSettings = sesSettings()): MailTransport {
  const ses = lazySesProvider(settings);
  return { send: async (account, message) => (await ses()).send(account, message) };
}

/** SES's verified sending domains, for checking SES tenants' senders (health check, sender edits). */
export function lazySesDomains(settings: SesSettings = sesSettings()): KeylessDomains {
  const ses = lazySesProvider(settings);
  return { listSenderDomains: async (region) => (await ses()).listSenderDomains(region) };
}
