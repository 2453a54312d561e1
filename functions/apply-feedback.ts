import { Metrics } from '@aws-lambda-powertools/metrics';
import { messageFeedback } from '../shared/composition/feedback.js';
import { outcomePublisher } from '../shared/composition/outcome-events.js';
import { suppressionList } from '../shared/composition/suppressions.js';
import { createFeedbackHandler } from '../shared/feedback/feedback-consumer.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';
import { actOnAppliedFeedback } from '../shared/outcome-events/feedback-consequences.js';

const consequences = { suppress: suppressionList().suppress, outcomes: outcomePublisher(), now: () => new Date() };

/**
 * Feedback queue → the send ledger: applies provider events to messages (partial batch response);
 * then a hard bounce or a complaint suppresses the address for that tenant, and a changed status
 * is announced as `Email Delivery Updated`.
 */
export const handler = createFeedbackHandler({
  feedback: messageFeedback(),
  logger: serviceLogger(),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
  listeners: [(applied) => actOnAppliedFeedback(applied, consequences)],
});
