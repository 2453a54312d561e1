import { integrationRepository, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { cardAnswer } from '../shared/http/card-answer.js';
import { notModified } from '../shared/integrations/integration-etag.js';
import { cardETag, getIntegration } from '../shared/integrations/integration-use-cases.js';

const deps = { repository: integrationRepository() };

/** GET /integrations/sendgrid — the integration card, with its ETag (304 when If-None-Match has it). */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, headers, language }) => {
  const card = await getIntegration(deps, tenantId);
  const etag = cardETag(tenantId, card);
  if (notModified(etag, headers.ifNoneMatch)) return { status: 304, headers: { etag } };
  return cardAnswer(tenantId, card, language);
});
