import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { HEALTH_CHECK_METRICS } from '../observability/metric-names.js';
import type { MetricsSink } from '../sending/send-metrics.js';
import { HEALTH_CHECK_FAILURES, type HealthOutcome } from './health-check.js';
import { type CheckerDeps, checkQueuedTenants } from './health-checker.js';
import { type PlannerDeps, planHealthRun } from './health-planner.js';
import { type MessageQueue, type PlanRequest, planRequestSchema } from './health-queues.js';
import type { HealthRun } from './health-runs.js';

/** Metrics as the handlers publish them (Powertools Metrics in AWS; a no-op locally). */
type HandlerMetrics = MetricsSink & { publishStoredMetrics?(): void };

/** What the planner function is built from. */
export interface PlanHandlerDeps extends Omit<PlannerDeps, 'outOfTime'> {
  /** The planner's own queue: continuations go there. */
  plans: MessageQueue<PlanRequest>;
  /** Stop planning when less than this is left of the invocation (a page and its enqueueing fit in it). */
  reserveMs: number;
  logger: Logger;
  metrics: HandlerMetrics;
}

/** A planner invocation: the plan queue's event, plus (locally) a stand-in for the time left. */
export type PlanHandler = (
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<SQSBatchResponse & { runs: HealthRun[] }>;

/**
 * The planner function: each message of its queue is a scope's tick (`{"scope":"all"}`) or a
 * continuation (`{"scope":"all","runId":…}`); it plans until its time is nearly out, then sends its
 * continuation to its own queue. A message it cannot read fails (and ends in the dead-letter queue,
 * which alarms): a misconfigured schedule is loud.
 */
export function createPlanHandler(deps: PlanHandlerDeps): PlanHandler {
  return async (event, context) => {
    const outOfTime = () => (context ? context.getRemainingTimeInMillis() < deps.reserveMs : false);
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    const runs: HealthRun[] = [];
    for (const record of event.Records) {
      try {
        const request = planRequestSchema.parse(JSON.parse(record.body));
        const result = await planHealthRun({ ...deps, outOfTime }, request);
        if (!result) {
          deps.logger.warn('health run unknown; nothing to plan', { runId: request.runId });
          continue;
        }
        runs.push(result.run);
        if (result.continueWith) await deps.plans.sendAll([result.continueWith]);
        deps.logger.info('health run planned', { ...summaryOf(result.run), continues: !!result.continueWith });
        if (result.finished) publishRunTotals(deps.metrics, result.run);
      } catch (error) {
        deps.logger.error('health run planning failed', { error, body: record.body.slice(0, 200) });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    deps.metrics.publishStoredMetrics?.();
    return { batchItemFailures, runs };
  };
}

/** What the checker function is built from. */
export interface CheckHandlerDeps
  extends Omit<CheckerDeps, 'onOutcome' | 'onRunFinished' | 'onMalformed' | 'onCountLost'> {
  logger: Logger;
  metrics: HandlerMetrics;
}

/**
 * The checker function: a batch of the check queue, a bounded number of tenants at once; answers
 * only the messages to deliver again (partial batch response). One metric per outcome, failures
 * (alarmed), and a run's totals once, when the batch that finishes it is counted.
 */
export function createCheckHandler(deps: CheckHandlerDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const outcomes = new Map<HealthOutcome, number>();
    const { retry } = await checkQueuedTenants(
      {
        ...deps,
        onOutcome: (outcome, tenantId, runId) => {
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (outcome !== 'active') deps.logger.warn('integration health', { tenantId, outcome, runId });
        },
        onRunFinished: (run) => {
          deps.logger.info('health run finished', summaryOf(run));
          publishRunTotals(deps.metrics, run);
        },
        onMalformed: (messageId) => deps.logger.error('not a health check request; dropped', { messageId }),
        onCountLost: (runId, error) =>
          deps.logger.error('health run totals not counted; the run will not show as finished', { runId, error }),
      },
      event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    );
    let failures = 0;
    for (const [outcome, count] of outcomes) {
      deps.metrics.addMetric(HEALTH_CHECK_METRICS.outcome(outcome), MetricUnit.Count, count);
      if (HEALTH_CHECK_FAILURES.has(outcome)) failures += count;
    }
    deps.metrics.addMetric(HEALTH_CHECK_METRICS.failures, MetricUnit.Count, failures);
    deps.metrics.publishStoredMetrics?.();
    return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** What a run's log line says: its id, scope and totals. */
export function summaryOf(run: HealthRun) {
  const { cursor: _cursor, plannerLeaseUntil: _lease, ...summary } = run;
  return summary;
}

/** A finished run's totals as metrics, once. */
function publishRunTotals(metrics: HandlerMetrics, run: HealthRun): void {
  metrics.addMetric(HEALTH_CHECK_METRICS.runPlanned, MetricUnit.Count, run.planned);
  metrics.addMetric(HEALTH_CHECK_METRICS.runChecked, MetricUnit.Count, run.checked);
  for (const [outcome, count] of Object.entries(run.outcomes)) {
    metrics.addMetric(HEALTH_CHECK_METRICS.runOutcome(outcome), MetricUnit.Count, count);
  }
  if (run.finishedAt) {
    const minutes = (new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()) / 60_000;
    metrics.addMetric(HEALTH_CHECK_METRICS.runMinutes, MetricUnit.Count, Math.round(minutes * 10) / 10);
  }
}
