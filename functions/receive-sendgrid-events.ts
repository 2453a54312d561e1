import { sendGridWebhookReceiver } from '../shared/composition/feedback.js';
import { publicRoute } from '../shared/http/public-route.js';
import { serviceLogger } from '../shared/observability/logger.js';

const receiver = sendGridWebhookReceiver();

/**
 * POST /webhooks/sendgrid/{webhookId} — public (SendGrid calls it; no JWT): verifies the signed
 * batch with the tenant's key, queues its events for the feedback function, acknowledges.
 */
export const handler = publicRoute(serviceLogger(), async ({ pathParameters, headers, rawBody }) => {
  await receiver.receive(pathParameters.webhookId ?? '', headers, rawBody);
  return { status: 204 };
});
