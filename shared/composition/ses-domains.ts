import { SESv2Client } from '@aws-sdk/client-sesv2';
import { ResolverDnsLookup } from '../ses-domains/dns-check.js';
import type { DomainOnboardingDeps } from '../ses-domains/domain-onboarding.js';
import { DynamoDomainStore } from '../ses-domains/domain-store.js';
import {
  ConfigurationError,
  dnsResolvers,
  type EnvironmentVariables,
  integrationTableSettings,
  sesDomainTableSettings,
  sesRegions,
  sesSettings,
} from './environment.js';
import { dynamoClientConfig, integrationRepository } from './store.js';

/**
 * Everything SES domain onboarding uses: the domain table (`SES_DOMAIN_TABLE_NAME`), the
 * integration table (for the routes that touch the integration), SES per region (`SES_ACCOUNT_ID` required, `SES_CONFIGURATION_SET`,
 * `SES_REGIONS`) and our DNS look-up (`DNS_RESOLVERS`).
 */
export function domainOnboardingDeps(
  options: { integrations?: boolean } = {},
  env: EnvironmentVariables = process.env,
): DomainOnboardingDeps {
  const ses = sesSettings(env);
  if (!ses.accountId) throw new ConfigurationError('SES_ACCOUNT_ID', 'is not set');
  const clients = new Map<string, SESv2Client>();
  return {
    store: domainStore(env),
    // Only removing and activating read (and write) the tenant's integration.
    ...(options.integrations ? { integrations: integrationRepository(integrationTableSettings(env)) } : {}),
    ses: (region) => {
      let client = clients.get(region);
      if (!client) {
        client = new SESv2Client({
          region,
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
        });
        clients.set(region, client);
      }
      return client;
    },
    dns: new ResolverDnsLookup(dnsResolvers(env)),
    settings: {
      accountId: ses.accountId,
      ...(ses.configurationSet ? { configurationSet: ses.configurationSet } : {}),
      regions: sesRegions(env),
    },
    now: () => new Date(),
  };
}

/** The SES domain table alone (`SES_DOMAIN_TABLE_NAME`): what the read-only routes use. */
export function domainStore(env: EnvironmentVariables = process.env): DynamoDomainStore {
  const table = sesDomainTableSettings(env);
  return new DynamoDomainStore({ tableName: table.tableName, clientConfig: dynamoClientConfig(table) });
}
