import { idempotencyStore } from '../shared/composition/idempotency.js';
import { envelopeCipher } from '../shared/composition/keys.js';
import { integrationStatusEvents } from '../shared/composition/outcome-events.js';
import { sendGridProvider } from '../shared/composition/sendgrid.js';
import { integrationRepository, keyCheckLimiter, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { saveIntegrationBody } from '../shared/http/api-schemas.js';
import { cardAnswer } from '../shared/http/card-answer.js';
import { saveIntegration } from '../shared/integrations/integration-use-cases.js';

const deps = {
  provider: sendGridProvider(),
  repository: integrationRepository(),
  cipher: envelopeCipher(),
  keyChecks: keyCheckLimiter(),
  statusEvents: integrationStatusEvents(),
};

/**
 * PUT /integrations/sendgrid — verifies the key again and saves it with the chosen senders
 * (If-None-Match: * to only create, If-Match to only replace what was seen; Idempotency-Key).
 */
export const handler = apiRoute(
  routeEnvironment(),
  { body: saveIntegrationBody, idempotency: idempotencyStore() },
  async ({ tenantId, body, headers, language }) => {
    const { created, card } = await saveIntegration(deps, tenantId, body, headers);
    return cardAnswer(tenantId, card, language, created ? 201 : 200);
  },
);
