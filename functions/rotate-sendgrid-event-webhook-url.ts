import { eventWebhookRegistrations } from '../shared/composition/feedback.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';

const registrations = eventWebhookRegistrations();

/** POST /integrations/sendgrid/event-webhook/rotate-url — a new URL; the old one is refused from now on. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId }) => ({
  status: 200,
  body: await registrations.rotateUrl(tenantId),
}));
