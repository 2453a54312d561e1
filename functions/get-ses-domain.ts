import { domainStore } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { getDomain } from '../shared/ses-domains/domain-onboarding.js';

const deps = { store: domainStore() };

/** GET /integrations/ses/domains/{domain} — one domain with its records and statuses. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, pathParameters }) => ({
  status: 200,
  body: await getDomain(deps, tenantId, pathParameters?.domain ?? ''),
}));
