import { Metrics } from '@aws-lambda-powertools/metrics';
import { createSesEventHandler, type SesEventHandler } from '../feedback/ses-event-receiver.js';
import { applySesSendingStatus } from '../integrations/ses-sending-status.js';
import { serviceLogger } from '../observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../observability/metric-names.js';
import type { SesProvider } from '../providers/ses/ses-provider.js';
import {
  type EnvironmentVariables,
  feedbackQueueSettings,
  integrationTableSettings,
  outcomeEventSettings,
  sesSettings,
} from './environment.js';
import { feedbackQueue } from './feedback.js';
import { integrationStatusEvents } from './outcome-events.js';
import { integrationRepository } from './store.js';

/**
 * The SES event function (`receive-ses-events`): the feedback queue (`FEEDBACK_QUEUE_URL`) for
 * email events; the integration table (`TABLE_NAME`), the service bus (`OUTCOME_EVENT_BUS_NAME`)
 * and SES's `GetTenant` (a hashed SES tenant name's tag) for a tenant's sending status. Its own module, so the SendGrid
 * webhook's bundle stays as small as it was.
 */
export function sesEventHandler(env: EnvironmentVariables = process.env): SesEventHandler {
  const repository = integrationRepository(integrationTableSettings(env));
  const statusEvents = integrationStatusEvents(outcomeEventSettings(env));
  // Loaded for the first hashed SES tenant name only (its tenant-id tag): most events never need SES's client.
  let ses: Promise<SesProvider> | undefined;
  const tenantOf = async (region: string, name: string) => {
    ses ??= import('../providers/ses/ses-provider.js').then(({ SesProvider }) => new SesProvider(sesSettings(env)));
    return (await ses).tenantIdOf(region, name);
  };
  return createSesEventHandler({
    queue: feedbackQueue(feedbackQueueSettings(env)),
    sendingStatus: (event) => applySesSendingStatus({ repository, statusEvents, tenantOf }, event),
    logger: serviceLogger(),
    metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
  });
}
