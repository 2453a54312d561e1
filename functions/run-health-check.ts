import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { envelopeCipher } from '../shared/composition/keys.js';
import { providerRegistry } from '../shared/composition/providers.js';
import { integrationRepository } from '../shared/composition/store.js';
import { type HealthCheckScope, type HealthCheckSummary, runHealthCheck } from '../shared/integrations/health-check.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { HEALTH_CHECK_METRICS, METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../shared/observability/metric-names.js';

const deps = {
  repository: integrationRepository(),
  cipher: envelopeCipher(),
  providers: providerRegistry(),
};
const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE_NAME });
const logger = serviceLogger();

/** Outcomes that mean the check itself could not tell: the stack alarms on them. */
const FAILURES = new Set(['unreachable', 'unreadable']);

/** What the schedules send: the daily run passes nothing (or a scheduled event), the 15-minute one `{"scope":"blocked"}`. */
export type HealthCheckEvent = Partial<ScheduledEvent> & { scope?: unknown };

/** The scope an event asks for; an unknown scope is a misconfigured schedule and fails loudly. */
export function scopeOf(event: HealthCheckEvent | undefined): HealthCheckScope {
  const scope = event?.scope ?? 'all';
  if (scope === 'all' || scope === 'blocked') return scope;
  throw new Error(`Unknown health check scope ${JSON.stringify(scope)}; use "all" or "blocked".`);
}

/**
 * EventBridge Scheduler: daily re-verifies every integration; every 15 minutes (`{"scope":"blocked"}`)
 * re-checks only blocked tenants, so one whose key works again is unblocked soon. One metric per outcome.
 */
export async function handler(event?: HealthCheckEvent, context?: Context): Promise<HealthCheckSummary> {
  // Request id and cold start on every line (the local runtime calls it without a context).
  if (context) logger.addContext(context);
  const scope = scopeOf(event);
  const summary = await runHealthCheck(
    {
      ...deps,
      onOutcome: (outcome, tenantId) => {
        if (outcome !== 'active') logger.warn('integration health', { tenantId, outcome, scope });
      },
    },
    { scope },
  );
  for (const [outcome, count] of Object.entries(summary.outcomes)) {
    metrics.addMetric(HEALTH_CHECK_METRICS.outcome(outcome), MetricUnit.Count, count);
  }
  const failures = Object.entries(summary.outcomes)
    .filter(([outcome]) => FAILURES.has(outcome))
    .reduce((sum, [, count]) => sum + count, 0);
  metrics.addMetric(HEALTH_CHECK_METRICS.failures, MetricUnit.Count, failures);
  metrics.publishStoredMetrics();
  logger.info('health check done', { scope, ...summary });
  return summary;
}
