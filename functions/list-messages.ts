import { messageHistory } from '../shared/composition/messages.js';
import { routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { listMessagesQuery } from '../shared/http/api-schemas.js';
import { parseMessageQuery } from '../shared/sending/message-history.js';

const history = messageHistory();

/** GET /messages — the tenant's messages newest first, with status and timeline. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, query }) => ({
  status: 200,
  body: await history.list(tenantId, parseMessageQuery(listMessagesQuery, query ?? {})),
}));
