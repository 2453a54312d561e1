import { Metrics } from '@aws-lambda-powertools/metrics';
import { checkerClients, healthCheckSettings } from '../shared/composition/health-check.js';
import { createCheckHandler } from '../shared/integrations/health-check-handlers.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';

/** The health check's checker: re-verifies the tenants of a check-queue batch, each once per run. */
export const handler = createCheckHandler({
  ...checkerClients(healthCheckSettings()),
  logger: serviceLogger(),
  metrics: new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME }),
});
