import { messageHistory } from '../shared/composition/messages.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';

const history = messageHistory();

/** GET /messages/{messageId} — one message of the tenant (404 alike for absent and foreign ids). */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, pathParameters }) => ({
  status: 200,
  body: await history.get(tenantId, pathParameters?.messageId ?? ''),
}));
