import { eventWebhookRegistrations } from '../shared/composition/feedback.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';

const registrations = eventWebhookRegistrations();

/** DELETE /integrations/sendgrid/event-webhook — stops accepting the tenant's events (its URL answers 403). */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId }) => {
  await registrations.remove(tenantId);
  return { status: 204 };
});
