import { routeEnvironment } from '../shared/composition/store.js';
import { suppressionList } from '../shared/composition/suppressions.js';
import { apiRoute } from '../shared/http/api-route.js';
import { listSuppressionsQuery } from '../shared/http/api-schemas.js';
import { parseSuppressionQuery } from '../shared/suppression/suppression-list.js';

const suppressions = suppressionList();

/** GET /suppressions — the tenant's suppressed addresses, a page at a time. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, query }) => ({
  status: 200,
  body: await suppressions.list(tenantId, parseSuppressionQuery(listSuppressionsQuery, query ?? {})),
}));
