import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { envelopeCipher } from '../shared/composition/keys.js';
import { sendGridProvider } from '../shared/composition/sendgrid.js';
import { lazySesDomains } from '../shared/composition/ses.js';
import { integrationRepository } from '../shared/composition/store.js';
import { type HealthCheckSummary, runHealthCheck } from '../shared/integrations/health-check.js';
import { serviceLogger } from '../shared/observability/logger.js';

const deps = {
  repository: integrationRepository(),
  cipher: envelopeCipher(),
  provider: sendGridProvider(),
  ses: lazySesDomains(),
};
const metrics = new Metrics({ namespace: 'EmailIntegrations', serviceName: 'email-integrations' });
const logger = serviceLogger();

/** Outcomes that mean the check itself could not tell: the stack alarms on them. */
const FAILURES = new Set(['unreachable', 'unreadable']);

/** Daily (EventBridge Scheduler): re-verifies every integration; one metric per outcome. */
export async function handler(_event?: Partial<ScheduledEvent>, context?: Context): Promise<HealthCheckSummary> {
  // Request id and cold start on every line (the local runtime calls it without a context).
  if (context) logger.addContext(context);
  const summary = await runHealthCheck({
    ...deps,
    onOutcome: (outcome, tenantId) => {
      if (outcome !== 'active') logger.warn('integration health', { tenantId, outcome });
    },
  });
  for (const [outcome, count] of Object.entries(summary.outcomes)) {
    metrics.addMetric(`HealthCheck_${outcome}`, MetricUnit.Count, count);
  }
  const failures = Object.entries(summary.outcomes)
    .filter(([outcome]) => FAILURES.has(outcome))
    .reduce((sum, [, count]) => sum + count, 0);
  metrics.addMetric('HealthCheckFailures', MetricUnit.Count, failures);
  metrics.publishStoredMetrics();
  logger.info('health check done', { ...summary });
  return summary;
}
