import { sendGridProvider } from '../shared/composition/sendgrid.js';
import { keyCheckLimiter, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { verifyKeyBody } from '../shared/http/api-schemas.js';
import { verifyKey } from '../shared/integrations/integration-use-cases.js';

const deps = { provider: sendGridProvider(), keyChecks: keyCheckLimiter() };

/** POST /integrations/sendgrid/verify — checks a key and lists its senders; stores nothing. */
export const handler = apiRoute(routeEnvironment(), { body: verifyKeyBody }, async ({ tenantId, body }) => ({
  status: 200,
  body: await verifyKey(deps, tenantId, body),
}));
