import { envelopeCipher } from '../shared/composition/keys.js';
import { integrationStatusEvents } from '../shared/composition/outcome-events.js';
import { sendGridProvider } from '../shared/composition/sendgrid.js';
import { integrationRepository, keyCheckLimiter, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { rotateKeyBody } from '../shared/http/api-schemas.js';
import { cardAnswer } from '../shared/http/card-answer.js';
import { rotateKey } from '../shared/integrations/integration-use-cases.js';

const deps = {
  provider: sendGridProvider(),
  repository: integrationRepository(),
  cipher: envelopeCipher(),
  keyChecks: keyCheckLimiter(),
  statusEvents: integrationStatusEvents(),
};

/** POST /integrations/sendgrid/rotate — replaces the key; the senders carry over (If-Match honoured). */
export const handler = apiRoute(
  routeEnvironment(),
  { body: rotateKeyBody },
  async ({ tenantId, body, headers, language }) =>
    cardAnswer(tenantId, await rotateKey(deps, tenantId, body, headers), language),
);
