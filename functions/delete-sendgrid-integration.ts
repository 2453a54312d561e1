import { integrationStatusEvents } from '../shared/composition/outcome-events.js';
import { integrationRepository, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { deleteIntegration } from '../shared/integrations/integration-use-cases.js';

const deps = { repository: integrationRepository(), statusEvents: integrationStatusEvents() };

/** DELETE /integrations/sendgrid — deletes the integration and its encrypted key (If-Match honoured). */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, headers }) => {
  await deleteIntegration(deps, tenantId, headers);
  return { status: 204 };
});
