import { eventWebhookRegistrations } from '../shared/composition/feedback.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';

const registrations = eventWebhookRegistrations();

/** GET /integrations/sendgrid/event-webhook — the URL, key fingerprint and when the last batch arrived. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId }) => ({
  status: 200,
  body: await registrations.get(tenantId),
}));
