import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SEND_OUTCOME_KIND_METRICS, SEND_OUTCOMES } from './send-outcomes.js';
import type { RecordOutcome } from './send-queue-consumer.js';

/**
 * The metric names the stack alarms on (namespace EmailIntegrations): one per outcome kind, and
 * `deliveryUnknown` (also counted in EmailsFailed) for the sends an operator should look up.
 * Every outcome code counts under its own metric as well (SEND_OUTCOMES[code].metric).
 */
export const SEND_METRICS = {
  ...SEND_OUTCOME_KIND_METRICS,
  deliveryUnknown: SEND_OUTCOMES.delivery_unknown.metric,
  untrustedEvent: SEND_OUTCOMES.untrusted_event.metric,
} as const;

/** Where outcome counts go (Powertools Metrics in Lambda; anything with `addMetric` in tests and locally). */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
}

/** Counts a batch's outcomes: each under its kind's metric, failures and retries under their code's too. */
export function countOutcomes(metrics: MetricsSink, outcomes: RecordOutcome[]): void {
  const counts = new Map<string, number>();
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const { outcome } of outcomes) {
    add(SEND_OUTCOME_KIND_METRICS[outcome.kind]);
    if (outcome.kind === 'failed' || outcome.kind === 'retry') add(SEND_OUTCOMES[outcome.code].metric);
  }
  for (const [name, count] of counts) metrics.addMetric(name, MetricUnit.Count, count);
}
