import { routeEnvironment } from '../shared/composition/store.js';
import { suppressionList } from '../shared/composition/suppressions.js';
import { apiRoute } from '../shared/http/api-route.js';

const suppressions = suppressionList();

/** PUT /suppressions/{email} — adds an address by hand: 201 new, 200 already listed. */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, pathParameters }) => {
  const { created, suppression } = await suppressions.add(tenantId, pathParameters?.email ?? '', 'manual', null);
  return { status: created ? 201 : 200, body: suppression };
});
