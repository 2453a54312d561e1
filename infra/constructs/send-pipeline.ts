import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueVisibilityTimeoutSeconds, REDELIVERY_POLICY } from '../../shared/sending/redelivery-policy.js';
import { SEND_METRICS } from '../../shared/sending/send-metrics.js';
import { EMAIL_SEND_REQUESTED } from '../../shared/sending/send-request.js';
import { alarmWhenAtLeast, serviceMetric } from './alarms.js';

/** Send functions at once: with batches of 10 and 5 in flight each, ≤ 250 calls in flight to SendGrid. */
export const SEND_MAX_CONCURRENCY = 5;

export interface SendPipelineProps {
  eventSource: string;
  /** The send function's timeout: the queue's visibility timeout is six times it, as AWS advises. */
  sendFunctionTimeout: Duration;
}

/**
 * EventBridge rule → SQS queue (dead-letter queue after REDELIVERY_POLICY.maxReceiveCount deliveries, and
 * one for events the rule cannot deliver) → the send function, plus the alarms an operator needs:
 * anything in a dead-letter queue, sends failing, sends with an unknown outcome.
 */
export class SendPipeline extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: SendPipelineProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(REDELIVERY_POLICY.deadLetterRetentionSeconds),
    });
    this.queue = new Queue(this, 'SendRequests', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(REDELIVERY_POLICY.queueRetentionSeconds),
      visibilityTimeout: Duration.seconds(queueVisibilityTimeoutSeconds(props.sendFunctionTimeout.toSeconds())),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: REDELIVERY_POLICY.maxReceiveCount },
    });
    new Rule(this, 'SendRequested', {
      description: 'Automations asking for an email to be sent on a tenant’s behalf',
      eventPattern: { source: [props.eventSource], detailType: [EMAIL_SEND_REQUESTED] },
      targets: [
        new SqsQueue(this.queue, {
          deadLetterQueue: this.deadLetters,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    this.alarms.push(
      alarmWhenAtLeast(this, 'DeadLettersNotEmpty', {
        description:
          'Send requests are in the dead-letter queue: SendGrid kept failing or events could not be delivered.',
        metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'SendFailures', {
        description: 'Many sends failed permanently; see the send ledger and the logs.',
        metric: serviceMetric(SEND_METRICS.failed, Duration.minutes(5)),
        threshold: 10,
      }),
      alarmWhenAtLeast(this, 'SendOutcomeUnknown', {
        description:
          'A send timed out or was cut off: it may or may not have gone out. Check SendGrid activity by custom arg messageId.',
        metric: serviceMetric(SEND_METRICS.deliveryUnknown, Duration.minutes(5)),
        threshold: 1,
      }),
    );
  }

  /** Connects the send function: batches of 10, partial batch failures, capped concurrency. */
  connect(sendFunction: IFunction): void {
    sendFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: REDELIVERY_POLICY.batchSize,
        maxBatchingWindow: Duration.seconds(REDELIVERY_POLICY.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: SEND_MAX_CONCURRENCY,
      }),
    );
  }
}
