import { Metrics } from '@aws-lambda-powertools/metrics';
import type { EventBridgeEvent } from 'aws-lambda';
import { sendQueueUrl, trustedPublisher } from '../shared/composition/environment.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';
import { SendIntake, SqsSendQueue } from '../shared/sending/send-intake.js';

const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME });
const intake = new SendIntake({
  queue: new SqsSendQueue({ queueUrl: sendQueueUrl() }),
  publisher: trustedPublisher(),
  logger: serviceLogger(),
  metrics,
});

/**
 * EventBridge → the send queue, with the tenant as the fair queue's message group. A refused
 * event is dropped (logged, counted); one the queue did not take fails the invocation, so
 * Lambda retries it and then puts it in the dead-letter queue.
 */
export async function handler(event: EventBridgeEvent<string, unknown>): Promise<void> {
  const [result] = await intake.accept([event]);
  // Only refusals are counted here; an empty flush would log a warning on every event.
  if (result?.kind === 'refused') metrics.publishStoredMetrics();
  if (result?.kind === 'not_queued') throw new Error('The send queue did not take the event; Lambda retries it.');
}
