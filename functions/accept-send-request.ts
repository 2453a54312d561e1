import { Metrics } from '@aws-lambda-powertools/metrics';
import { sendQueueUrl, trustedPublisher } from '../shared/composition/environment.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';
import { createIntakeHandler, SqsSendQueue } from '../shared/sending/send-intake.js';

/** Intake queue → the send queue, with the tenant as the fair queue's message group (partial batch response). */
export const handler = createIntakeHandler({
  queue: new SqsSendQueue({ queueUrl: sendQueueUrl() }),
  publisher: trustedPublisher(),
  logger: serviceLogger(),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
});
