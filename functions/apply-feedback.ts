import { Metrics } from '@aws-lambda-powertools/metrics';
import { messageFeedback } from '../shared/composition/feedback.js';
import { createFeedbackHandler } from '../shared/feedback/feedback-consumer.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';

/** Feedback queue → the send ledger: applies provider events to messages (partial batch response). */
export const handler = createFeedbackHandler({
  feedback: messageFeedback(),
  logger: serviceLogger(),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
});
