import type { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { METRIC_NAMESPACE, METRIC_SERVICE_NAME } from '../../shared/observability/metric-names.js';

/** An alarm that fires when a count reaches `threshold` in one period; no data is no trouble. */
export function alarmWhenAtLeast(
  scope: Construct,
  id: string,
  props: { description: string; metric: IMetric; threshold: number },
): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: props.description,
    metric: props.metric,
    threshold: props.threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

/** A count the service publishes with Powertools Metrics, under the names in shared/observability/metric-names.ts. */
export function serviceMetric(metricName: string, period: Duration): Metric {
  return new Metric({
    namespace: METRIC_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRIC_SERVICE_NAME },
    statistic: 'Sum',
    period,
  });
}
