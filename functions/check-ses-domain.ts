import { domainOnboardingDeps } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { checkDomain } from '../shared/ses-domains/domain-onboarding.js';

// With the integration table: a domain that failed (or verified again) is carried to the card, and announced.
const deps = domainOnboardingDeps({ integrations: true, announceStatus: true });

/** POST /integrations/ses/domains/{domain}/check — SES's status and our own DNS look-up, now. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, pathParameters }) => ({
  status: 200,
  body: await checkDomain(deps, tenantId, pathParameters?.domain ?? ''),
}));
