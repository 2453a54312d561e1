import { testSender } from '../shared/composition/sending.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { testSendBody } from '../shared/http/api-schemas.js';

const sender = testSender();

/** POST /integrations/sendgrid/test — sends one short message now through the tenant's SendGrid. */
export const handler = apiRoute(routeEnvironment(), { body: testSendBody }, async ({ tenantId, body }) => ({
  status: 200,
  body: await sender.send(tenantId, body),
}));
