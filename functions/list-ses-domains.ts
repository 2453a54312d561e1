import { sesRegions } from '../shared/composition/environment.js';
import { sesPlatformAccount } from '../shared/composition/providers.js';
import { domainStore } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { listDomains } from '../shared/ses-domains/domain-onboarding.js';
import { platformWarnings } from '../shared/ses-domains/platform-warnings.js';

const deps = { store: domainStore() };
const platformAccount = sesPlatformAccount();
const regions = sesRegions();

/** GET /integrations/ses/domains — this tenant's Amazon SES domains, with warnings about the platform's SES account. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, language }) => {
  const warnings = await platformWarnings(platformAccount, regions, language);
  return {
    status: 200,
    body: {
      domains: await listDomains(deps, tenantId),
      ...(warnings.length > 0 ? { platformWarnings: warnings } : {}),
    },
  };
});
