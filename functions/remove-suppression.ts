import { routeEnvironment } from '../shared/composition/store.js';
import { suppressionList } from '../shared/composition/suppressions.js';
import { apiRoute } from '../shared/http/api-route.js';

const suppressions = suppressionList();

/** DELETE /suppressions/{email} — takes an address off the list (404 when it is not on it). */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, pathParameters }) => {
  await suppressions.remove(tenantId, pathParameters?.email ?? '');
  return { status: 204 };
});
