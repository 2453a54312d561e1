import { sesPlatformAccount } from '../shared/composition/providers.js';
import { integrationRepository, routeEnvironment } from '../shared/composition/store.js';
import { apiRoute } from '../shared/http/api-route.js';
import { cardAnswer } from '../shared/http/card-answer.js';
import { notModified } from '../shared/integrations/integration-etag.js';
import { cardETag, getIntegration } from '../shared/integrations/integration-use-cases.js';
import { platformWarnings } from '../shared/ses-domains/platform-warnings.js';

const deps = { repository: integrationRepository() };
const platformAccount = sesPlatformAccount();

/**
 * GET /integrations/sendgrid — the integration card, with its ETag (304 when If-None-Match has it);
 * for a tenant on Amazon SES, with warnings about the platform's SES account (e.g. still in the SES sandbox).
 */
export const handler = apiRoute(routeEnvironment(), {}, async ({ tenantId, headers, language }) => {
  const card = await getIntegration(deps, tenantId);
  const etag = cardETag(tenantId, card);
  if (notModified(etag, headers.ifNoneMatch)) return { status: 304, headers: { etag } };
  const warnings = card.provider === 'ses' ? await platformWarnings(platformAccount, [card.region], language) : [];
  return cardAnswer(tenantId, card, language, 200, warnings);
});
