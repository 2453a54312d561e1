import { Metrics } from '@aws-lambda-powertools/metrics';
import { serviceLogger } from '../observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../observability/metric-names.js';
import { OutcomeAnnouncer } from '../outcome-events/outcome-announcer.js';
import { EventBridgeOutcomePublisher } from '../outcome-events/outcome-publisher.js';
import { type OutcomeEventSettings, outcomeEventSettings } from './environment.js';

/**
 * Outcome events on the service's bus (`OUTCOME_EVENT_BUS_NAME`) through EventBridge PutEvents;
 * the local runtime points the same client at its local bus (`AWS_ENDPOINT_URL_EVENTBRIDGE`).
 */
export function outcomePublisher(settings: OutcomeEventSettings = outcomeEventSettings()): EventBridgeOutcomePublisher {
  return new EventBridgeOutcomePublisher({ busName: settings.busName });
}

/** Announces card status changes (save, rotate, delete, health check, a refused send); never fails the caller. */
export function integrationStatusEvents(settings: OutcomeEventSettings = outcomeEventSettings()): OutcomeAnnouncer {
  return new OutcomeAnnouncer({
    publisher: outcomePublisher(settings),
    logger: serviceLogger(),
    metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
    now: () => new Date(),
  });
}
