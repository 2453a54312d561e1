import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RecordOutcome } from './send-queue-consumer.js';

/** The metric each outcome counts under (namespace EmailIntegrations); the stack alarms on some. */
export const SEND_METRICS = {
  sent: 'EmailsSent',
  duplicate: 'EmailsDuplicate',
  retry: 'EmailsRetried',
  failed: 'EmailsFailed',
  /** Also counted in EmailsFailed: the sends an operator should look at in SendGrid's activity. */
  deliveryUnknown: 'EmailsDeliveryUnknown',
} as const;

/** Counts a batch's outcomes; flushed once per invocation by the caller. */
export function countOutcomes(metrics: Metrics, outcomes: RecordOutcome[]): void {
  const counts = new Map<string, number>();
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const { outcome } of outcomes) {
    add(SEND_METRICS[outcome.kind]);
    if (outcome.kind === 'failed' && outcome.code === 'delivery_unknown') add(SEND_METRICS.deliveryUnknown);
  }
  for (const [name, count] of counts) metrics.addMetric(name, MetricUnit.Count, count);
}
