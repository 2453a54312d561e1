import { Duration, Stack, Token } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { type CfnEventBus, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import {
  AccountPrincipal,
  ArnPrincipal,
  Effect,
  type IRole,
  PolicyDocument,
  PolicyStatement,
  StarPrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTCOME_DETAIL_TYPES, OUTCOME_EVENT_SOURCE } from '../../shared/outcome-events/outcome-events.js';
import { queueVisibilityTimeoutSeconds, REDELIVERY_POLICY } from '../../shared/sending/redelivery-policy.js';
import { SEND_METRICS } from '../../shared/sending/send-metrics.js';
import { EMAIL_SEND_REQUESTED } from '../../shared/sending/send-request.js';
import { alarmWhenAtLeast, serviceMetric } from './alarms.js';

/**
 * Send functions at once, by default (`sendMaxConcurrency` context): 20 functions × 5 sends in
 * flight = 100 provider calls at once, ≈ 870 messages/s at 100 ms provider latency and ≈ 380 at
 * 250 ms (docs/performance.md, capacity). 20 keeps the send ledger's writes (≈ 4 write units per
 * message with its index) within what a new on-demand table serves at once (4,000 per second), and
 * uses 2 % of an account's default 1,000 concurrent functions.
 */
export const SEND_MAX_CONCURRENCY = 20;

/** The event source mapping's bounds for `maximumConcurrency`. */
export const SEND_MAX_CONCURRENCY_RANGE = { min: 2, max: 1000 } as const;

/**
 * Intake functions at once: each moves a batch of 10 events in one SendMessageBatch (≈ 30 ms), so 50
 * pass ≈ 15,000 events a second — a 50,000-event flood crosses the shared intake in a few seconds.
 */
export const INTAKE_MAX_CONCURRENCY = 50;
/** Deliveries of an intake batch before its events go to the dead-letter queue. */
export const INTAKE_MAX_RECEIVE_COUNT = 5;

/** A valid `sendMaxConcurrency`, or a synth error naming the setting. */
export function parseSendMaxConcurrency(value: unknown): number {
  if (value === undefined || value === '') return SEND_MAX_CONCURRENCY;
  const number = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : Number.NaN;
  const { min, max } = SEND_MAX_CONCURRENCY_RANGE;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`sendMaxConcurrency: ${String(value)} is not a whole number from ${min} to ${max}.`);
  }
  return number;
}

export interface SendPipelineProps {
  stage: string;
  eventSource: string;
  /**
   * Who may publish send requests to the service's bus: IAM role ARNs, or account ids (every
   * principal of that account with `events:PutEvents`). Empty: nobody can publish.
   */
  publishers: string[];
  /**
   * Operator roles that may put messages on the send queue themselves (`npm run ops -- redrive`)
   * and announce the card changes `npm run ops` writes (`Email Integration Status Changed` only).
   */
  operatorRoleArns: string[];
  /** The send function's timeout: the queue's visibility timeout is six times it, as AWS advises. */
  sendFunctionTimeout: Duration;
  /** The intake function's timeout: the intake queue's visibility timeout is six times it. */
  intakeFunctionTimeout: Duration;
  /** Send functions at once (the event source mapping's maximum concurrency); default {@link SEND_MAX_CONCURRENCY}. */
  sendMaxConcurrency?: number;
}

/** An IAM role ARN (with optional path), or a 12-digit AWS account id. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const ACCOUNT_ID = /^\d{12}$/;

/** Splits the configured publishers into role ARNs and account ids; anything else fails synth. */
export function parsePublishers(publishers: string[]): { roleArns: string[]; accountIds: string[] } {
  const invalid = publishers.filter((entry) => !ROLE_ARN.test(entry) && !ACCOUNT_ID.test(entry));
  if (invalid.length > 0) {
    throw new Error(
      `sendPublisherPrincipals: ${invalid.join(', ')} is neither an IAM role ARN (arn:aws:iam::123456789012:role/name) nor a 12-digit account id.`,
    );
  }
  return {
    roleArns: publishers.filter((entry) => ROLE_ARN.test(entry)),
    accountIds: publishers.filter((entry) => ACCOUNT_ID.test(entry)),
  };
}

/**
 * The service's own event bus → rule → intake queue → intake function → SQS fair queue (a standard
 * queue whose messages carry their tenant as `MessageGroupId`; dead-letter queue after
 * REDELIVERY_POLICY.maxReceiveCount deliveries, which also takes events the rule or the intake
 * cannot deliver) → the send function, plus the alarms an operator needs: anything in a
 * dead-letter queue, sends failing, sends with an unknown outcome.
 *
 * The trust boundary: only the named publishers may put events on the bus, the rule takes only
 * this account's events of our source and detail type, only the rule may put messages on the
 * intake queue, and only the intake function's role (and operators redriving dead letters) on the
 * send queue. The policies deny everyone else explicitly, because in the same account an
 * Allow-only resource policy restricts nobody who already has IAM rights. EventBridge cannot set a
 * message group on a standard queue, hence the intake (docs/performance.md, fair sending).
 */
export class SendPipeline extends Construct {
  readonly bus: EventBus;
  readonly rule: Rule;
  readonly queue: Queue;
  /** Where the rule puts events for the intake: a plain queue, since EventBridge cannot set a message group. */
  readonly intakeQueue: Queue;
  readonly deadLetters: Queue;
  readonly alarms: Alarm[] = [];
  private readonly operatorRoleArns: string[];
  /** The bus's ARN, from its name (its own ARN attribute inside its policy would depend on itself). */
  readonly busArn: string;
  private readonly publishers: { roleArns: string[]; accountIds: string[] };
  private readonly eventSource: string;
  private readonly sendMaxConcurrency: number;

  constructor(scope: Construct, id: string, props: SendPipelineProps) {
    super(scope, id);
    this.operatorRoleArns = props.operatorRoleArns;
    this.sendMaxConcurrency = parseSendMaxConcurrency(props.sendMaxConcurrency);
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
    this.intakeQueue = new Queue(this, 'IntakeRequests', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(REDELIVERY_POLICY.queueRetentionSeconds),
      visibilityTimeout: Duration.seconds(queueVisibilityTimeoutSeconds(props.intakeFunctionTimeout.toSeconds())),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: INTAKE_MAX_RECEIVE_COUNT },
    });
    if (props.eventSource === OUTCOME_EVENT_SOURCE) {
      throw new Error(
        `eventSource: "${OUTCOME_EVENT_SOURCE}" is the source of the service's own outcome events; the automations' send requests need another.`,
      );
    }
    const publishers = parsePublishers(props.publishers);
    // The bus lets operator roles put only card announcements: one that also publishes send
    // requests would have every one of them denied.
    const both = props.operatorRoleArns.filter((arn) => publishers.roleArns.includes(arn));
    if (both.length > 0) {
      throw new Error(
        `operatorRoleArns: ${both.join(', ')} is also in sendPublisherPrincipals; the bus lets operator roles put only Email Integration Status Changed, so its send requests would be refused. Use separate roles.`,
      );
    }
    // The rule and the send function accept only events of the stack's account (an event's
    // `account` is its publisher's): a publisher elsewhere would be let onto the bus and then dropped.
    const accounts = new Set([...publishers.accountIds, ...publishers.roleArns.map((arn) => arn.split(':')[4])]);
    const stackAccount = Stack.of(this).account;
    if (
      accounts.size > 1 ||
      (!Token.isUnresolved(stackAccount) && accounts.size === 1 && !accounts.has(stackAccount))
    ) {
      throw new Error(
        `sendPublisherPrincipals: every publisher must be in the stack's account; found ${[...accounts].sort().join(', ')}.`,
      );
    }
    const eventBusName = `email-integrations-${props.stage}`;
    this.bus = new EventBus(this, 'Bus', { eventBusName });
    // The ARN from the name: the bus's own ARN attribute inside its policy would depend on itself.
    this.busArn = Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName });
    this.publishers = publishers;
    this.eventSource = props.eventSource;
    this.setBusPolicy([]);
    this.rule = new Rule(this, 'SendRequested', {
      description: 'Automations asking for an email to be sent on a tenant’s behalf',
      eventBus: this.bus,
      eventPattern: {
        source: [props.eventSource],
        detailType: [EMAIL_SEND_REQUESTED],
        account: [Stack.of(this).account],
      },
      targets: [
        new SqsQueue(this.intakeQueue, {
          deadLetterQueue: this.deadLetters,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
    this.intakeQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheSendRuleSends',
        effect: Effect.DENY,
        principals: [new StarPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.intakeQueue.queueArn],
        conditions: { ArnNotEquals: { 'aws:SourceArn': this.rule.ruleArn } },
      }),
    );

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
      alarmWhenAtLeast(this, 'UntrustedSendEvents', {
        description:
          'A send request from an unexpected source or account reached the send queue and was refused: find who published it.',
        metric: serviceMetric(SEND_METRICS.untrustedEvent, Duration.minutes(5)),
        threshold: 1,
      }),
    );
  }

  /**
   * Connects the intake: it takes the intake queue's events in batches of 10 (partial batch
   * failures: an event the send queue did not take comes back, and after INTAKE_MAX_RECEIVE_COUNT
   * deliveries goes to the dead-letter queue, body unchanged), and the send queue takes
   * `SendMessage` only from its role and the operators' roles.
   */
  connectIntake(intake: IFunction, senders: IRole[]): void {
    intake.addEventSource(
      new SqsEventSource(this.intakeQueue, {
        batchSize: REDELIVERY_POLICY.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: INTAKE_MAX_CONCURRENCY,
      }),
    );
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheIntakeSends',
        effect: Effect.DENY,
        principals: [new StarPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': [...senders.map((role) => role.roleArn), ...this.operatorRoleArns] },
        },
      }),
    );
  }

  /**
   * Lets the service's own functions publish outcome events on the bus: only of source
   * `email-integrations` (denied anything else, whatever their IAM says), so none of them can
   * put a send request on it.
   */
  allowOutcomePublishers(roles: IRole[]): void {
    this.setBusPolicy(roles.map((role) => role.roleArn));
  }

  private setBusPolicy(outcomeRoleArns: string[]): void {
    (this.bus.node.defaultChild as CfnEventBus).policy = publishPolicy(
      this.busArn,
      this.publishers,
      this.eventSource,
      outcomeRoleArns,
      this.operatorRoleArns,
    );
  }

  /** Connects the send function: batches of 10, partial batch failures, capped concurrency. */
  connect(sendFunction: IFunction): void {
    sendFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: REDELIVERY_POLICY.batchSize,
        maxBatchingWindow: Duration.seconds(REDELIVERY_POLICY.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: this.sendMaxConcurrency,
      }),
    );
  }
}

/**
 * The bus's resource policy: the named publishers may put our events, the service's functions
 * their outcome events, the operator roles `Email Integration Status Changed`; every other
 * principal is denied PutEvents, whatever its IAM policies say.
 */
function publishPolicy(
  busArn: string,
  publishers: { roleArns: string[]; accountIds: string[] },
  eventSource: string,
  outcomeRoleArns: string[],
  operatorRoleArns: string[],
): PolicyDocument {
  const named = [
    ...publishers.roleArns.map((arn) => new ArnPrincipal(arn)),
    ...publishers.accountIds.map((account) => new AccountPrincipal(account)),
  ];
  const exemptRoles = [...publishers.roleArns, ...outcomeRoleArns, ...operatorRoleArns];
  const exempt = {
    ...(exemptRoles.length > 0 ? { ArnNotEquals: { 'aws:PrincipalArn': exemptRoles } } : {}),
    ...(publishers.accountIds.length > 0 ? { StringNotEquals: { 'aws:PrincipalAccount': publishers.accountIds } } : {}),
  };
  const document = new PolicyDocument();
  if (named.length > 0) {
    document.addStatements(
      new PolicyStatement({
        sid: 'NamedPublishersPutSendRequests',
        effect: Effect.ALLOW,
        principals: named,
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: { StringEquals: { 'events:source': eventSource, 'events:detail-type': EMAIL_SEND_REQUESTED } },
      }),
    );
  }
  if (outcomeRoleArns.length > 0) {
    const services = outcomeRoleArns.map((arn) => new ArnPrincipal(arn));
    document.addStatements(
      new PolicyStatement({
        sid: 'ServiceFunctionsPutOutcomeEvents',
        effect: Effect.ALLOW,
        principals: services,
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: { StringEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
      }),
      // Whatever their IAM policies say: never a send request (or anything else) from the service itself.
      new PolicyStatement({
        sid: 'ServiceFunctionsPutNothingElse',
        effect: Effect.DENY,
        principals: services,
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: { StringNotEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
      }),
    );
  }
  if (operatorRoleArns.length > 0) {
    const operators = operatorRoleArns.map((arn) => new ArnPrincipal(arn));
    const statusChanged = OUTCOME_DETAIL_TYPES.integrationStatusChanged;
    document.addStatements(
      // `npm run ops -- verify|migrate` announces the card changes it writes, as the functions do.
      new PolicyStatement({
        sid: 'OperatorsPutStatusChanges',
        effect: Effect.ALLOW,
        principals: operators,
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: { StringEquals: { 'events:source': OUTCOME_EVENT_SOURCE, 'events:detail-type': statusChanged } },
      }),
      // Whatever their (often broad) IAM policies say: no send request and no other outcome event.
      // Two statements, since the keys of one condition must all differ before it denies.
      new PolicyStatement({
        sid: 'OperatorsPutNoOtherSource',
        effect: Effect.DENY,
        principals: operators,
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: { StringNotEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
      }),
      new PolicyStatement({
        sid: 'OperatorsPutNoOtherDetailType',
        effect: Effect.DENY,
        principals: operators,
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: { StringNotEquals: { 'events:detail-type': statusChanged } },
      }),
    );
  }
  document.addStatements(
    new PolicyStatement({
      sid: 'NobodyElsePuts',
      effect: Effect.DENY,
      principals: [new StarPrincipal()],
      actions: ['events:PutEvents'],
      resources: [busArn],
      // Conditions in one statement all apply: denied unless the ARN or the account is named.
      ...(Object.keys(exempt).length > 0 ? { conditions: exempt } : {}),
    }),
  );
  return document;
}
