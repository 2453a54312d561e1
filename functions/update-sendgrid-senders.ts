import { apiRoute } from '../shared/http/api-route.js';
import { updateSendersBody } from '../shared/http/api-schemas.js';
import type { KeylessDomains } from '../shared/integrations/health-check.js';
import { updateSenders } from '../shared/integrations/integration-use-cases.js';
import { envelopeCipher } from '../shared/key-dependencies.js';
import { sendGridProvider } from '../shared/sendgrid-dependencies.js';
import { integrationRepository, routeEnvironment } from '../shared/service-dependencies.js';

/** Tenants moved to Amazon SES have their senders checked against SES's verified domains (loaded on use). */
const ses: KeylessDomains = {
  async listSenderDomains(region) {
    const { SesProvider } = await import('../shared/providers/ses/ses-provider.js');
    return new SesProvider().listSenderDomains(region);
  },
};
const deps = { provider: sendGridProvider(), repository: integrationRepository(), cipher: envelopeCipher(), ses };

/** PUT /integrations/sendgrid/emails — replaces the senders, checked with the stored key (or SES's domains). */
export const handler = apiRoute(routeEnvironment(), { body: updateSendersBody }, async ({ tenantId, body }) => ({
  status: 200,
  body: await updateSenders(deps, tenantId, body),
}));
