import { apiRoute } from '../shared/http/api-route.js';
import { updateSendersBody } from '../shared/http/api-schemas.js';
import { updateSenders } from '../shared/integrations/integration-use-cases.js';
import { envelopeCipher } from '../shared/key-dependencies.js';
import { lazySesDomains, sendGridProvider } from '../shared/sendgrid-dependencies.js';
import { integrationRepository, routeEnvironment } from '../shared/service-dependencies.js';

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
