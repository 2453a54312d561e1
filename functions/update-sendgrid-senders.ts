import { envelopeCipher } from '../shared/composition/keys.js';
import { providerRegistry } from '../shared/composition/providers.js';
import { integrationRepository, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { updateSendersBody } from '../shared/http/api-schemas.js';
import { cardAnswer } from '../shared/http/card-answer.js';
import { updateSenders } from '../shared/integrations/integration-use-cases.js';

const deps = { providers: providerRegistry(), repository: integrationRepository(), cipher: envelopeCipher() };

/** PUT /integrations/sendgrid/emails — replaces the senders, checked against the tenant's own provider account. */
export const handler = apiRoute(
  routeEnvironment(),
  { body: updateSendersBody },
  async ({ tenantId, body, headers, language }) =>
    cardAnswer(tenantId, await updateSenders(deps, tenantId, body, headers), language),
);
