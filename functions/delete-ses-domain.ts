import { domainOnboardingDeps } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { removeDomain } from '../shared/ses-domains/domain-onboarding.js';

const deps = domainOnboardingDeps({ integrations: true });

/** DELETE /integrations/ses/domains/{domain} — removes a domain no registered SES sender is at. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, pathParameters }) => {
  await removeDomain(deps, tenantId, pathParameters?.domain ?? '');
  return { status: 204 };
});
