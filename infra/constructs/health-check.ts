import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Effect, type IRole, PolicyStatement, Role, ServicePrincipal, StarPrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { SqsSendMessage } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  HEALTH_CHECK_CAPACITY,
  healthQueueVisibilitySeconds,
} from '../../shared/integrations/health-check-capacity.js';
import type { PlanRequest } from '../../shared/integrations/health-queues.js';
import { HEALTH_CHECK_METRICS } from '../../shared/observability/metric-names.js';
import { alarmWhenAtLeast, serviceMetric } from './alarms.js';

/** The daily tick: start (or resume) a run over every tenant. */
export const DAILY_HEALTH_CHECK_EVENT: PlanRequest = { scope: 'all' };
/** The 15-minute tick: re-check only the tenants whose key was refused (the sparse blocked index). */
export const BLOCKED_RECHECK_EVENT: PlanRequest = { scope: 'blocked' };

/** A run still has checks waiting after this long: the checkers are not keeping up (or are failing). */
const BACKLOG_ALARM_AGE = Duration.hours(6);

/**
 * The scaled-out health check: schedules → the planner's queue → the planner (pages through the
 * tenants, enqueues one check each, continues itself through its own queue) → the check queue →
 * the checker (bounded concurrency). Both queues share one dead-letter queue; alarms on dead
 * letters, a backlog that does not drain, failed checks and failing functions.
 */
export class HealthCheckPipeline extends Construct {
  /** The planner's queue: the schedules' ticks and the planner's continuations. */
  readonly plans: Queue;
  /** One message per tenant to check in a run. */
  readonly checks: Queue;
  readonly deadLetters: Queue;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const deadLetterQueue = { queue: this.deadLetters, maxReceiveCount: HEALTH_CHECK_CAPACITY.maxReceiveCount };
    this.plans = new Queue(this, 'Plans', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(1),
      visibilityTimeout: Duration.seconds(healthQueueVisibilitySeconds(HEALTH_CHECK_CAPACITY.plannerTimeoutSeconds)),
      deadLetterQueue,
    });
    // A run has a day: a check older than that belongs to a run already replaced.
    this.checks = new Queue(this, 'Checks', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(1),
      visibilityTimeout: Duration.seconds(healthQueueVisibilitySeconds(HEALTH_CHECK_CAPACITY.checkerTimeoutSeconds)),
      deadLetterQueue,
    });
  }

  /**
   * Connects the planner and the checker to their queues, schedules the ticks and adds the alarms.
   * Only the planner's role may send checks, and only it and the schedules' role may send plans:
   * both queue policies deny everyone else, whatever their IAM rights.
   */
  connect(functions: { planner: IFunction; checker: IFunction; plannerRole: IRole }): void {
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'email-integrations health check schedules: send ticks only to the planner queue',
    });
    const onlyFrom = (sid: string, queue: Queue, roles: IRole[]) =>
      queue.addToResourcePolicy(
        new PolicyStatement({
          sid,
          effect: Effect.DENY,
          principals: [new StarPrincipal()],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': roles.map((role) => role.roleArn) } },
        }),
      );
    onlyFrom('OnlyThePlannerSendsChecks', this.checks, [functions.plannerRole]);
    onlyFrom('OnlyPlannerAndSchedulesSendPlans', this.plans, [functions.plannerRole, schedulerRole]);
    functions.planner.addEventSource(
      new SqsEventSource(this.plans, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: HEALTH_CHECK_CAPACITY.plannerMaxConcurrency,
      }),
    );
    functions.checker.addEventSource(
      new SqsEventSource(this.checks, {
        batchSize: HEALTH_CHECK_CAPACITY.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: HEALTH_CHECK_CAPACITY.checkerMaxConcurrency,
      }),
    );
    new Schedule(this, 'Daily', {
      description: 'Starts the daily integration health check (or resumes an unfinished run younger than 23 h)',
      schedule: ScheduleExpression.expression('cron(15 3 * * ? *)'),
      target: new SqsSendMessage(this.plans, {
        role: schedulerRole,
        input: ScheduleTargetInput.fromObject(DAILY_HEALTH_CHECK_EVENT),
        retryAttempts: 2,
      }),
    });
    new Schedule(this, 'BlockedTenants', {
      description: 'Re-checks the tenants whose key was refused, every 15 minutes',
      schedule: ScheduleExpression.expression('rate(15 minutes)'),
      target: new SqsSendMessage(this.plans, {
        role: schedulerRole,
        input: ScheduleTargetInput.fromObject(BLOCKED_RECHECK_EVENT),
        retryAttempts: 0,
      }),
    });

    this.alarms.push(
      alarmWhenAtLeast(this, 'DeadLettersNotEmpty', {
        description:
          'Health check messages are in the dead-letter queue: a planner tick or a tenant’s check failed three times.',
        metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'Backlog', {
        description: 'Health checks have waited over 6 hours: the checkers are not keeping up with the run.',
        metric: this.checks.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(15), statistic: 'Maximum' }),
        threshold: BACKLOG_ALARM_AGE.toSeconds(),
      }),
      alarmWhenAtLeast(this, 'Failures', {
        description: 'The health check could not verify some integrations (provider unreachable or a key unreadable).',
        metric: serviceMetric(HEALTH_CHECK_METRICS.failures, Duration.days(1)),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'PlannerErrors', {
        description: 'The health check planner failed.',
        metric: functions.planner.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
      }),
      alarmWhenAtLeast(this, 'CheckerErrors', {
        description: 'The health checker failed (a whole batch is delivered again).',
        metric: functions.checker.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
      }),
    );
  }
}
