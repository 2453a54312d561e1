import { envelopeCipher } from '../shared/composition/keys.js';
import { sendGridProvider } from '../shared/composition/sendgrid.js';
import { integrationRepository, keyCheckLimiter, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { saveIntegrationBody } from '../shared/http/api-schemas.js';
import { saveIntegration } from '../shared/integrations/integration-use-cases.js';

const deps = {
  provider: sendGridProvider(),
  repository: integrationRepository(),
  cipher: envelopeCipher(),
  keyChecks: keyCheckLimiter(),
};

/** PUT /integrations/sendgrid — verifies the key again and saves it with the chosen senders. */
export const handler = apiRoute(routeEnvironment(), { body: saveIntegrationBody }, async ({ tenantId, body }) => {
  const { created, card } = await saveIntegration(deps, tenantId, body);
  return { status: created ? 201 : 200, body: card };
});
