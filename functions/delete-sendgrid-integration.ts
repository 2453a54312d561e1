import { integrationRepository, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { deleteIntegration } from '../shared/integrations/integration-use-cases.js';

const deps = { repository: integrationRepository() };

/** DELETE /integrations/sendgrid — deletes the integration and its encrypted key. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId }) => {
  await deleteIntegration(deps, tenantId);
  return { status: 204 };
});
