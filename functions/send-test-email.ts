import { idempotencyStore } from '../shared/composition/idempotency.js';
import { integrationStatusEvents } from '../shared/composition/outcome-events.js';
import { testSender } from '../shared/composition/sending.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { testSendBody } from '../shared/http/api-schemas.js';

// A refused key or sender blocks the card: that change is announced, as a refused queued send's is.
const sender = testSender(undefined, integrationStatusEvents());

/**
 * POST /integrations/sendgrid/test — sends one short message now through the tenant's
 * SendGrid; with an Idempotency-Key, a repeat within 24 hours answers the first result and
 * sends nothing.
 */
export const handler = apiRoute(
  routeEnvironment(),
  { body: testSendBody, idempotency: idempotencyStore() },
  async ({ tenantId, body }) => ({ status: 200, body: await sender.send(tenantId, body) }),
);
