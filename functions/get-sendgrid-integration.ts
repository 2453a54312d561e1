import { integrationRepository, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { getIntegration } from '../shared/integrations/integration-use-cases.js';

const deps = { repository: integrationRepository() };

/** GET /integrations/sendgrid — the integration card. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId }) => ({
  status: 200,
  body: await getIntegration(deps, tenantId),
}));
