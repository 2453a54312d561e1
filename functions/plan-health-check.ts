import { Metrics } from '@aws-lambda-powertools/metrics';
import { healthCheckSettings, healthQueues, plannerClients } from '../shared/composition/health-check.js';
import { createPlanHandler } from '../shared/integrations/health-check-handlers.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';

/**
 * The health check's planner: the schedules' ticks (`{"scope":"all"}` daily, `{"scope":"blocked"}`
 * every 15 minutes) and its own continuations arrive on its queue; it enqueues one check per tenant.
 */
export const handler = createPlanHandler({
  ...plannerClients(healthCheckSettings(), healthQueues()),
  logger: serviceLogger(),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
});
