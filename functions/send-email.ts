import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLogger } from '../shared/observability/logger.js';
import { emailDispatcher } from '../shared/sendgrid-dependencies.js';
import { createSendHandler, SqsRedelivery } from '../shared/sending/send-handler.js';
import { requireEnv } from '../shared/service-dependencies.js';

/** SQS → send: reports only the records to retry (partial batch response) and counts every outcome. */
export const handler = createSendHandler({
  dispatcher: emailDispatcher(),
  redelivery: new SqsRedelivery({ queueUrl: requireEnv('SEND_QUEUE_URL') }),
  logger: createLogger(),
  metrics: new Metrics({ namespace: 'EmailIntegrations', serviceName: 'email-integrations' }),
});
