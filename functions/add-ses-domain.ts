import { domainOnboardingDeps } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { addSesDomainBody } from '../shared/http/api-schemas.js';
import { addDomain } from '../shared/ses-domains/domain-onboarding.js';

const deps = domainOnboardingDeps();

/** POST /integrations/ses/domains — starts onboarding a sending domain: 201 with its DNS records (200 when already added). */
export const handler = apiRoute(routeEnvironment(), { body: addSesDomainBody }, async ({ tenantId, body }) => {
  const { created, domain } = await addDomain(deps, tenantId, body);
  return { status: created ? 201 : 200, body: domain };
});
