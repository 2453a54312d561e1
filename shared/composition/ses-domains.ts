import { SesProvider } from '../providers/ses/ses-provider.js';
import { ResolverDnsLookup } from '../ses-domains/dns-check.js';
import type { DomainOnboardingDeps } from '../ses-domains/domain-onboarding.js';
import { DynamoDomainStore } from '../ses-domains/domain-store.js';
import {
  ConfigurationError,
  dnsResolvers,
  type EnvironmentVariables,
  integrationTableSettings,
  outcomeEventSettings,
  sesDomainCheckScale,
  sesDomainTableSettings,
  sesRegions,
  sesSettings,
} from './environment.js';
import { integrationStatusEvents } from './outcome-events.js';
import { dynamoClientConfig, integrationRepository } from './store.js';

/**
 * Everything SES domain onboarding uses: the domain table (`SES_DOMAIN_TABLE_NAME`), the
 * integration table (for the routes that touch the integration), the SES provider's onboarding
 * (`SES_ACCOUNT_ID` required, `SES_CONFIGURATION_SET`, `SES_REGIONS`) and our DNS look-up (`DNS_RESOLVERS`);
 * with `announceStatus`, the outcome bus (`OUTCOME_EVENT_BUS_NAME`) for the card changes a domain check writes.
 */
export function domainOnboardingDeps(
  options: { integrations?: boolean; announceStatus?: boolean } = {},
  env: EnvironmentVariables = process.env,
): DomainOnboardingDeps {
  const ses = sesSettings(env);
  if (!ses.accountId) throw new ConfigurationError('SES_ACCOUNT_ID', 'is not set');
  return {
    store: domainStore(env),
    // Only removing and activating read (and write) the tenant's integration.
    ...(options.integrations ? { integrations: integrationRepository(integrationTableSettings(env)) } : {}),
    ...(options.announceStatus ? { statusEvents: integrationStatusEvents(outcomeEventSettings(env)) } : {}),
    // The same set-up steps `npm run ops -- migrate` runs (one implementation, in the provider).
    onboarding: new SesProvider(ses).onboarding,
    dns: new ResolverDnsLookup(dnsResolvers(env)),
    settings: { regions: sesRegions(env), checkScale: sesDomainCheckScale(env) },
    now: () => new Date(),
  };
}

/** The SES domain table alone (`SES_DOMAIN_TABLE_NAME`): what the read-only routes use. */
export function domainStore(env: EnvironmentVariables = process.env): DynamoDomainStore {
  const table = sesDomainTableSettings(env);
  return new DynamoDomainStore({ tableName: table.tableName, clientConfig: dynamoClientConfig(table) });
}
