import { domainOnboardingDeps } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { activateSesBody } from '../shared/http/api-schemas.js';
import { cardAnswer } from '../shared/http/card-answer.js';
import { activateSes } from '../shared/ses-domains/domain-onboarding.js';

const deps = domainOnboardingDeps({ integrations: true });

/** POST /integrations/ses/activate — switches this tenant's sending to Amazon SES with senders at its verified domains. */
export const handler = apiRoute(routeEnvironment(), { body: activateSesBody }, async ({ tenantId, body, language }) =>
  cardAnswer(tenantId, await activateSes(deps, tenantId, body), language),
);
