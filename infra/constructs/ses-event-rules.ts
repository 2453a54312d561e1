import { Duration, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SES_EVENT_METRICS } from '../../shared/observability/metric-names.js';
import {
  SES_EVENT_SOURCE,
  SES_FEEDBACK_EVENT_TYPES,
  SES_SENDING_STATUS_DETAIL_TYPES,
} from '../../shared/providers/ses/ses-configuration-set-events.js';
import { alarmWhenAtLeast, serviceMetric } from './alarms.js';

export interface SesEventRulesProps {
  /** The stack's configuration set: only its email events are ours. */
  configurationSetName: string;
  /** The function that takes them (`receive-ses-events`). */
  receiver: IFunction;
}

/**
 * Amazon SES's events into the service. SES publishes only to the **default** bus (FACTS.md 3.1,
 * 1.9), so both rules live there: the configuration set's email events (source `aws.ses`, our
 * configuration set's tag, the detail-types its event destination matches) and every SES
 * tenant's `Sending Status Enabled/Disabled` (the function maps only our tenants' names). Both
 * invoke the receiver asynchronously: EventBridge retries a failed invoke for a day, Lambda
 * retries a failed run twice, and what still fails lands in a dead-letter queue, alarmed.
 */
export class SesEventRules extends Construct {
  readonly deadLetters: Queue;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: SesEventRulesProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'It is the dead-letter queue of the SES event rules’ target and of the receiver’s failed invocations.',
    });
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const target = new LambdaFunction(props.receiver, {
      deadLetterQueue: this.deadLetters,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
    props.receiver.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetters),
    });
    new Rule(this, 'EmailEvents', {
      description: 'Amazon SES email events of the stack’s configuration set → receive-ses-events → feedback queue',
      eventBus: defaultBus,
      eventPattern: {
        source: [SES_EVENT_SOURCE],
        detailType: Object.values(SES_FEEDBACK_EVENT_TYPES),
        detail: { mail: { tags: { 'ses:configuration-set': [props.configurationSetName] } } },
      },
      targets: [target],
    });
    new Rule(this, 'TenantSendingStatus', {
      description: 'Amazon SES tenants’ Sending Status Enabled/Disabled → receive-ses-events → the card',
      eventBus: defaultBus,
      eventPattern: { source: [SES_EVENT_SOURCE], detailType: [...SES_SENDING_STATUS_DETAIL_TYPES] },
      targets: [target],
    });
    this.alarms.push(
      alarmWhenAtLeast(this, 'DeadLettersNotEmpty', {
        description:
          'Amazon SES events could not be taken in (feedback queue or card write kept failing): see receive-ses-events’ logs, then replay them.',
        metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'MalformedSesEvents', {
        description:
          'An event from aws.ses did not parse as documented and was dropped: SES may have changed its shape.',
        metric: serviceMetric(SES_EVENT_METRICS.malformed, Duration.minutes(5)),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'SesEventTenantMismatch', {
        description:
          'An SES email event named another SES tenant than its tenant tag: refused. Find the send that tagged it.',
        metric: serviceMetric(SES_EVENT_METRICS.tenantMismatch, Duration.minutes(5)),
        threshold: 1,
      }),
    );
  }
}
