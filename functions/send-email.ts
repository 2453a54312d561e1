import { Metrics } from '@aws-lambda-powertools/metrics';
import { sendQueueUrl, trustedPublisher } from '../shared/composition/environment.js';
import { emailDispatcher } from '../shared/composition/sending.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';
import { createSendHandler, SqsRedelivery } from '../shared/sending/send-handler.js';

/** SQS → send: reports only the records to retry (partial batch response) and counts every outcome. */
export const handler = createSendHandler({
  dispatcher: emailDispatcher(),
  publisher: trustedPublisher(),
  redelivery: new SqsRedelivery({ queueUrl: sendQueueUrl() }),
  logger: serviceLogger(),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
});
