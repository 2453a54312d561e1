import { domainStore } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { listDomains } from '../shared/ses-domains/domain-onboarding.js';

const deps = { store: domainStore() };

/** GET /integrations/ses/domains — this tenant's Amazon SES domains. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId }) => ({
  status: 200,
  body: { domains: await listDomains(deps, tenantId) },
}));
