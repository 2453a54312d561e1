import { eventWebhookRegistrations } from '../shared/composition/feedback.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { registerEventWebhookBody } from '../shared/http/api-schemas.js';

const registrations = eventWebhookRegistrations();

/** PUT /integrations/sendgrid/event-webhook — registers SendGrid's verification key; answers the URL to paste. */
export const handler = apiRoute(routeEnvironment(), { body: registerEventWebhookBody }, async ({ tenantId, body }) => {
  const { created, view } = await registrations.register(tenantId, body.publicKey);
  return { status: created ? 201 : 200, body: view };
});
