import { sesPlatformAccount } from '../shared/composition/providers.js';
import { domainOnboardingDeps } from '../shared/composition/ses-domains.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { activateSesBody } from '../shared/http/api-schemas.js';
import { cardAnswer } from '../shared/http/card-answer.js';
import { activateSes } from '../shared/ses-domains/domain-onboarding.js';
import { platformWarnings } from '../shared/ses-domains/platform-warnings.js';

// announceStatus: the switch (and a card a domain re-check turns domain_failed) is announced.
const deps = domainOnboardingDeps({ integrations: true, announceStatus: true });
const platformAccount = sesPlatformAccount();

/** POST /integrations/ses/activate — switches this tenant's sending to Amazon SES with senders at its verified domains. */
export const handler = apiRoute(routeEnvironment(), { body: activateSesBody }, async ({ tenantId, body, language }) => {
  const card = await activateSes(deps, tenantId, body);
  return cardAnswer(tenantId, card, language, 200, await platformWarnings(platformAccount, [card.region], language));
});
