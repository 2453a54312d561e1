import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FEEDBACK_METRICS } from '../../shared/observability/metric-names.js';
import { alarmWhenAtLeast, serviceMetric } from './alarms.js';

/** Deliveries of one feedback message before it goes to the dead-letter queue. */
export const FEEDBACK_MAX_RECEIVE_COUNT = 5;
/** Feedback functions at once: the ledger's writes per message stay few. */
export const FEEDBACK_MAX_CONCURRENCY = 2;

export interface FeedbackPipelineProps {
  /** The feedback function's timeout: the queue's visibility timeout is six times it, as AWS advises. */
  consumerTimeout: Duration;
}

/**
 * Provider feedback on its way to the send ledger: the queue the public webhook route (and, for
 * SES, a rule on the default bus) puts `{provider, tenantId, events}` on, its dead-letter queue,
 * and the alarms: anything dead-lettered, malformed messages, failing listeners.
 */
export class FeedbackPipeline extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: FeedbackPipelineProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Feedback', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SendGrid retries undelivered events for 24 hours; a day's backlog fits well within this.
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: FEEDBACK_MAX_RECEIVE_COUNT },
    });
    this.alarms.push(
      alarmWhenAtLeast(this, 'DeadLettersNotEmpty', {
        description:
          'Provider feedback is in the dead-letter queue: it could not be applied to the send ledger (see the feedback function’s logs).',
        metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'InvalidFeedbackMessages', {
        description: 'A message on the feedback queue was not a feedback batch and was dropped: find who sent it.',
        metric: serviceMetric(FEEDBACK_METRICS.invalidMessages, Duration.minutes(5)),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'FeedbackListenerFailures', {
        description:
          'Acting on a status change (suppression, outcome event) failed after the change was recorded; it stays pending on the message and the batch is retried.',
        metric: serviceMetric(FEEDBACK_METRICS.listenerFailures, Duration.minutes(5)),
        threshold: 1,
      }),
    );
  }

  /** Connects the feedback function: batches of 10, partial batch failures, capped concurrency. */
  connect(consumer: IFunction): void {
    consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: FEEDBACK_MAX_CONCURRENCY,
      }),
    );
  }
}
