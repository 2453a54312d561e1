import { envelopeCipher } from '../shared/composition/keys.js';
import { sendGridProvider } from '../shared/composition/sendgrid.js';
import { lazySesDomains } from '../shared/composition/ses.js';
import { integrationRepository, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { updateSendersBody } from '../shared/http/api-schemas.js';
import { updateSenders } from '../shared/integrations/integration-use-cases.js';

const deps = {
  provider: sendGridProvider(),
  repository: integrationRepository(),
  cipher: envelopeCipher(),
  ses: lazySesDomains(),
};

/** PUT /integrations/sendgrid/emails — replaces the senders, checked with the stored key (or SES's domains). */
export const handler = apiRoute(routeEnvironment(), { body: updateSendersBody }, async ({ tenantId, body }) => ({
  status: 200,
  body: await updateSenders(deps, tenantId, body),
}));
