import { Metrics } from '@aws-lambda-powertools/metrics';
import { messageFeedback } from '../shared/composition/feedback.js';
import { outcomePublisher } from '../shared/composition/outcome-events.js';
import { suppressionList } from '../shared/composition/suppressions.js';
import { createFeedbackHandler } from '../shared/feedback/feedback-consumer.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';
import { CoalescingOutcomePublisher } from '../shared/outcome-events/coalescing-publisher.js';
import { actOnAppliedFeedback } from '../shared/outcome-events/feedback-consequences.js';

const feedback = messageFeedback();
const consequenceDeps = {
  suppress: suppressionList().suppress,
  // Messages of a batch are applied at once: their announcements share PutEvents calls.
  outcomes: new CoalescingOutcomePublisher(outcomePublisher()),
  now: () => new Date(),
  settle: (tenantId: string, messageId: string, ids: readonly string[]) =>
    feedback.settleConsequences(tenantId, messageId, ids),
};

/**
 * Feedback queue → the send ledger: applies provider events to messages (partial batch response);
 * then a hard bounce or a complaint suppresses the address for that tenant, and a changed status
 * is announced as `Email Delivery Updated` — recorded on the message with the change and retried
 * through the queue until done.
 */
export const handler = createFeedbackHandler({
  feedback,
  logger: serviceLogger(),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
  consequences: (applied) => actOnAppliedFeedback(applied, consequenceDeps),
});
