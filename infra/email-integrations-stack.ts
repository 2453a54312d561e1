import {
  Annotations,
  Aws,
  CfnOutput,
  CfnRule,
  Duration,
  Fn,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { ArnPrincipal, Effect, type IPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { CfnConfigurationSet, CfnConfigurationSetEventDestination } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { API_ROUTES, PUBLIC_ROUTE_HANDLERS } from '../shared/http/api-routes.js';
import { integrationTableKeys } from '../shared/integrations/integration-table.js';
import { OUTCOME_EVENT_METRICS } from '../shared/observability/metric-names.js';
import { OUTCOME_EVENT_SOURCE } from '../shared/outcome-events/outcome-events.js';
import { SES_FEEDBACK_EVENT_TYPES } from '../shared/providers/ses/ses-configuration-set-events.js';
import { keyAccess, tableAccess } from './constructs/access.js';
import { alarmWhenAtLeast, serviceMetric } from './constructs/alarms.js';
import { FeedbackPipeline } from './constructs/feedback-pipeline.js';
import { HealthCheckPipeline } from './constructs/health-check.js';
import { ServiceHttpApi } from './constructs/http-api.js';
import { IntegrationStore } from './constructs/integration-store.js';
import { SendPipeline } from './constructs/send-pipeline.js';
import { ServiceFunction } from './constructs/service-function.js';
import { SesEventRules } from './constructs/ses-event-rules.js';
import {
  FEEDBACK_TIMEOUT,
  FUNCTION_ACCESS,
  type FunctionAccess,
  type FunctionName,
  INTAKE_TIMEOUT,
  type KeyAction,
  SEND_TIMEOUT,
  type ServiceTable,
  sendGridRouteKeys,
  TABLE_ENV,
  TABLE_QUERY_INDEXES,
  TABLES_QUERIED_BY_KEY,
  type TableAction,
} from './function-access.js';

export interface EmailIntegrationsStackProps extends StackProps {
  stage: string;
  jwtIssuer: string;
  jwtAudience: string[];
  /** The JWT claim holding the tenant id. */
  tenantClaim: string;
  corsOrigins: string[];
  /** The EventBridge `source` of the automations' send requests. */
  eventSource: string;
  /**
   * Regions tenants may onboard Amazon SES domains in (default: the stack's own). Functions may use
   * this account's SES identities, tenants and the configuration set there; SES's tenant
   * associations keep each tenant to its own identities.
   */
  sesRegions?: string[];
  /**
   * Who may publish send requests on the service's bus: IAM role ARNs, or account ids (every
   * principal of that account allowed `events:PutEvents`). Empty (default): nobody can publish.
   */
  sendPublisherPrincipals?: string[];
  /** Operator roles for `npm run ops`: may decrypt tenants' keys (context-bound) and redrive dead letters. */
  operatorRoleArns?: string[];
  /** Send functions at once (`sendMaxConcurrency` context, 2–1000; default 20: docs/performance.md, capacity). */
  sendMaxConcurrency?: number;
}

export { BLOCKED_RECHECK_EVENT, DAILY_HEALTH_CHECK_EVENT } from './constructs/health-check.js';

/**
 * email-integrations: the integration store (KMS key, integration table, send ledger, key-check
 * limiter), the console's HTTP API with one least-privilege function per route, the send pipeline
 * (the service's own event bus → SQS → send function) and the health check, with their alarms.
 * Every function comes from the access table in `function-access.ts`.
 */
export class EmailIntegrationsStack extends Stack {
  /** Every function of the stack, by name. */
  readonly functions: ReadonlyMap<FunctionName, ServiceFunction>;
  /** The configuration set every SES send names; publishes SES's events to the default bus. */
  readonly configurationSetName: string;
  /** The one region tenants onboard SES domains in and send from: the stack's own (see {@link allowedSesRegion}). */
  private readonly sesRegion: string;

  constructor(scope: Construct, id: string, props: EmailIntegrationsStackProps) {
    super(scope, id, props);
    const operatorRoleArns = props.operatorRoleArns ?? [];
    const store = new IntegrationStore(this, 'Store', { stage: props.stage });
    const pipeline = new SendPipeline(this, 'SendPipeline', {
      stage: props.stage,
      eventSource: props.eventSource,
      publishers: props.sendPublisherPrincipals ?? [],
      operatorRoleArns,
      sendFunctionTimeout: SEND_TIMEOUT,
      intakeFunctionTimeout: INTAKE_TIMEOUT,
      ...(props.sendMaxConcurrency === undefined ? {} : { sendMaxConcurrency: props.sendMaxConcurrency }),
    });
    if ((props.sendPublisherPrincipals ?? []).length === 0) {
      Annotations.of(pipeline.bus).addWarningV2(
        'email-integrations:no-publishers',
        'No sendPublisherPrincipals: nothing can publish send requests until they are named (README, Deploying).',
      );
    }

    this.sesRegion = this.allowedSesRegion(props);
    // Every SES send names it (with its tenant); SES associates it with each tenant.
    this.configurationSetName = `email-integrations-${props.stage}`;
    const configurationSet = new CfnConfigurationSet(this, 'SesConfigurationSet', { name: this.configurationSetName });
    new CfnConfigurationSetEventDestination(this, 'SesEventsToEventBridge', {
      configurationSetName: configurationSet.ref,
      eventDestination: {
        name: 'eventbridge',
        enabled: true,
        // The types the SES event function parses (one table: its rule matches their detail-types).
        matchingEventTypes: Object.keys(SES_FEEDBACK_EVENT_TYPES),
        // SES publishes only to the default bus (docs/ses-facts.md 3.1).
        eventBridgeDestination: {
          eventBusArn: `arn:${this.partition}:events:${this.region}:${this.account}:event-bus/default`,
        },
      },
    });

    const healthCheck = new HealthCheckPipeline(this, 'HealthCheck');
    const feedback = new FeedbackPipeline(this, 'FeedbackPipeline', { consumerTimeout: FEEDBACK_TIMEOUT });

    const functions = new Map<FunctionName, ServiceFunction>();
    for (const [name, access] of Object.entries(FUNCTION_ACCESS) as Array<[FunctionName, FunctionAccess]>) {
      functions.set(name, this.serviceFunction(name, access, { store, pipeline, healthCheck, feedback, props }));
    }
    this.functions = functions;
    const fn = (name: FunctionName) => functions.get(name) as ServiceFunction;

    // The key policy names each role that may use the key, and the operators: nobody else can.
    const rolesWith = (action: KeyAction): IPrincipal[] =>
      [...functions].filter(([name]) => FUNCTION_ACCESS[name].key.includes(action)).map(([, entry]) => entry.role);
    store.allowKeyUse('ServiceRolesDecrypt', 'Decrypt', rolesWith('Decrypt'));
    store.allowKeyUse('ServiceRolesGenerateDataKeys', 'GenerateDataKey', rolesWith('GenerateDataKey'));
    store.allowKeyUse(
      'OperatorsDecrypt',
      'Decrypt',
      operatorRoleArns.map((arn) => new ArnPrincipal(arn)),
    );

    // The functions that announce outcomes may put them (and only them) on the service's bus.
    pipeline.allowOutcomePublishers(
      [...functions].filter(([name]) => FUNCTION_ACCESS[name].publishesOutcomes).map(([, entry]) => entry.role),
    );
    alarmWhenAtLeast(this, 'OutcomeEventsUnpublished', {
      description:
        'Outcome events could not be published on the service bus after retries (send outcomes come back through the queue; card changes are only logged). Check PutEvents errors and the bus policy.',
      metric: serviceMetric(OUTCOME_EVENT_METRICS.unpublished, Duration.minutes(5)),
      threshold: 1,
    });

    const http = new ServiceHttpApi(this, 'Http', {
      jwtIssuer: props.jwtIssuer,
      jwtAudience: props.jwtAudience,
      corsOrigins: props.corsOrigins,
      routes: API_ROUTES.map((route) => ({
        method: route.method,
        path: route.path,
        function: fn(route.handler).function,
      })),
      tightRoutes: sendGridRouteKeys(),
      publicRoutes: API_ROUTES.filter((route) => PUBLIC_ROUTE_HANDLERS.has(route.handler)).map(
        (route) => `${route.method} ${route.path}`,
      ),
    });
    alarmWhenAtLeast(this, 'Api5xx', {
      description: 'The HTTP API answered 5xx: a function failed or timed out.',
      metric: http.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
    });

    const intake = fn('accept-send-request');
    // The intake queues events; the send function queues again what a tenant cap held back.
    pipeline.connectIntake(intake.function, [intake.role, fn('send-email').role]);
    // The Event Webhook routes answer URLs on the API's own URL (the stage is `$default`).
    for (const [name, access] of Object.entries(FUNCTION_ACCESS) as Array<[FunctionName, FunctionAccess]>) {
      if (access.publicApiUrl) fn(name).function.addEnvironment('PUBLIC_API_URL', http.api.apiEndpoint);
    }

    pipeline.connect(fn('send-email').function);
    feedback.connect(fn('apply-feedback').function);
    // SES's email events and tenant status events, from the default bus (the only one SES publishes to).
    new SesEventRules(this, 'SesEvents', {
      configurationSetName: this.configurationSetName,
      receiver: fn('receive-ses-events').function,
    });

    // The health check: daily over every tenant, and every 15 minutes over the tenants whose key was
    // refused (planner → check queue → checker), so a blocked tenant is unblocked soon after its key works again.
    healthCheck.connect({
      planner: fn('plan-health-check').function,
      checker: fn('check-integration-health').function,
      plannerRole: fn('plan-health-check').role,
    });
    // SES emits no event when a domain verifies: the domain checker looks at due domains every 10 minutes.
    const domainWatch = fn('watch-ses-domains');
    // The scheduler's invoke grant covers the function's versions (`arn:*`), which cdk-nag flags.
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(domainWatch.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason: 'EventBridge Scheduler may invoke only the SES domain checker (and its versions), nothing else.',
    });
    new Schedule(this, 'SesDomainCheck', {
      description: 'Re-checks SES domains that are due (pending with backoff, verified hourly), every 10 minutes',
      schedule: ScheduleExpression.expression('rate(10 minutes)'),
      // The next run comes in 10 minutes and picks up whatever this one missed.
      target: new LambdaInvoke(domainWatch.function, { retryAttempts: 0 }),
    });

    new CfnOutput(this, 'ApiUrl', { value: http.stage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'TableName', { value: store.integrations.tableName, description: 'Integration table' });
    new CfnOutput(this, 'SendLedgerTableName', {
      value: store.sendLedger.tableName,
      description: 'Send ledger table',
    });
    new CfnOutput(this, 'KeyArn', {
      value: store.secretsKey.keyArn,
      description: 'KMS key wrapping stored SendGrid keys',
    });
    new CfnOutput(this, 'EventBusName', {
      value: pipeline.bus.eventBusName,
      description: 'The bus automations publish "Email Send Requested" events to',
    });
    new CfnOutput(this, 'EventBusArn', { value: pipeline.bus.eventBusArn });
    new CfnOutput(this, 'SendQueueUrl', { value: pipeline.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: pipeline.deadLetters.queueUrl });
    new CfnOutput(this, 'FeedbackQueueUrl', { value: feedback.queue.queueUrl });
    new CfnOutput(this, 'FeedbackDeadLetterQueueUrl', { value: feedback.deadLetters.queueUrl });
  }

  /** One function from its access table entry: its role holds exactly the entry, its environment names what it may use. */
  private serviceFunction(
    name: FunctionName,
    access: FunctionAccess,
    {
      store,
      pipeline,
      healthCheck,
      feedback,
      props,
    }: {
      store: IntegrationStore;
      pipeline: SendPipeline;
      healthCheck: HealthCheckPipeline;
      feedback: FeedbackPipeline;
      props: EmailIntegrationsStackProps;
    },
  ): ServiceFunction {
    const statements: PolicyStatement[] = [];
    const environment: Record<string, string> = {};
    const route = API_ROUTES.find((entry) => entry.handler === name);
    if (route) environment.TENANT_CLAIM = props.tenantClaim;

    const tables = {
      integrations: store.integrations,
      sendLedger: store.sendLedger,
      keyChecks: store.keyChecks,
      sesDomains: store.sesDomains,
      healthRuns: store.healthRuns,
      suppressions: store.suppressions,
      eventWebhooks: store.eventWebhooks,
    };
    // Key attributes, for a scan that may read only them (`ScanKeys`).
    const keyAttributes: Partial<Record<ServiceTable, string[]>> = {
      integrations: [integrationTableKeys.partitionKey.name, integrationTableKeys.sortKey.name],
    };
    for (const [table, actions] of Object.entries(access.tables) as Array<[ServiceTable, TableAction[]]>) {
      const resource = tables[table];
      environment[TABLE_ENV[table]] = resource.tableName;
      const indexes = [...(TABLE_QUERY_INDEXES[table] ?? []), ...(access.queryIndexes?.[table] ?? [])];
      statements.push(
        ...tableAccess(resource, actions, indexes, TABLES_QUERIED_BY_KEY.has(table), keyAttributes[table]),
      );
    }
    if (access.key.length > 0) {
      statements.push(keyAccess(store.secretsKey, access.key));
      environment.KMS_KEY_ID = store.secretsKey.keyArn;
    }
    if (access.sendQueue.length > 0) {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: access.sendQueue.map((action) => `sqs:${action}`),
          resources: [pipeline.queue.queueArn],
        }),
      );
      environment.SEND_QUEUE_URL = pipeline.queue.queueUrl;
    }
    if (access.healthQueues && access.healthQueues.length > 0) {
      const queues = { plans: healthCheck.plans, checks: healthCheck.checks };
      const variables = { plans: 'HEALTH_PLAN_QUEUE_URL', checks: 'HEALTH_CHECK_QUEUE_URL' } as const;
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['sqs:SendMessage'],
          resources: access.healthQueues.map((queue) => queues[queue].queueArn),
        }),
      );
      for (const queue of access.healthQueues) environment[variables[queue]] = queues[queue].queueUrl;
    }
    if (access.feedbackQueue === 'send') {
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['sqs:SendMessage'],
          resources: [feedback.queue.queueArn],
        }),
      );
      environment.FEEDBACK_QUEUE_URL = feedback.queue.queueUrl;
    }
    if (access.ses.length > 0) {
      statements.push(...sesAccess(access.ses, this.sesResources(props)));
      environment.SES_ACCOUNT_ID = this.account;
      environment.SES_CONFIGURATION_SET = this.configurationSetName;
      environment.SES_REGIONS = this.sesRegions(props).join(',');
    }
    if (access.sendGridTimeoutMs !== undefined) environment.SENDGRID_TIMEOUT_MS = String(access.sendGridTimeoutMs);
    if (access.publishesOutcomes) {
      // Only the service's own source: a function can never put a send request on the bus.
      statements.push(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['events:PutEvents'],
          resources: [pipeline.busArn],
          conditions: { StringEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
        }),
      );
      environment.OUTCOME_EVENT_BUS_NAME = pipeline.bus.eventBusName;
    }
    if (access.consumesSendEvents) {
      environment.SEND_EVENT_SOURCE = props.eventSource;
      environment.SEND_EVENT_ACCOUNT = this.account;
    }

    const created = new ServiceFunction(this, pascalCase(name), {
      handler: name,
      description: access.description,
      timeout: access.timeout,
      statements,
      environment: { ...environment, ...access.env },
    });
    if (access.ses.includes('account')) {
      Validations.of(created.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ses:GetAccount has no resource type; IAM grants it only on *. It reads the account’s standing, nothing else.',
      });
    }
    if (access.ses.length > 0) {
      for (const region of this.sesRegions(props)) {
        const prefix = `arn:<AWS::Partition>:ses:${region === this.region ? '<AWS::Region>' : region}:<AWS::AccountId>`;
        Validations.of(created.role).acknowledge(
          {
            id: `AwsSolutions-IAM5[Resource::${prefix}:tenant/*]`,
            reason:
              'SES tenant ARNs end in an id SES assigns; the code names only the tenant of the caller’s own tenant.',
          },
          {
            id: `AwsSolutions-IAM5[Resource::${prefix}:identity/*]`,
            reason:
              'Tenants onboard their own domains without a redeploy; SES tenant associations (checked before every sender is registered) keep each tenant to its own identities.',
          },
        );
      }
    }
    return created;
  }

  /** The allowed SES regions: the stack's own, the only one it provisions the configuration set in. */
  private sesRegions(_props: EmailIntegrationsStackProps): string[] {
    return [this.sesRegion];
  }

  /**
   * `sesRegions` may name only the stack's own region. SES publishes a configuration set's events
   * only to the default event bus of the region that sent the mail, and a stack (one region)
   * provisions the configuration set, its EventBridge destination and the rule that picks the
   * events up only in its own region: a domain onboarded elsewhere would send without them (no
   * configuration set to name, no bounces or complaints seen). For more regions, deploy one stack
   * per region. Synth fails naming the extra regions; when the stack's region is only known at
   * deploy time, a CloudFormation rule refuses to deploy it anywhere but the region named.
   */
  private allowedSesRegion(props: EmailIntegrationsStackProps): string {
    const asked = [...new Set(props.sesRegions ?? [])];
    if (asked.length === 0) return this.region;
    const resolved = !Token.isUnresolved(this.region);
    const others = asked.filter((region) => !resolved || region !== this.region);
    if (asked.length > 1 || (resolved && others.length > 0)) {
      throw new Error(
        `sesRegions lists ${asked.join(', ')}, but this stack provisions the SES configuration set (with its EventBridge destination and rule) only in its own region${resolved ? `, ${this.region}` : ''}. SES publishes events only in the region that sends. Name just that region, or leave sesRegions out, and deploy one stack per region.`,
      );
    }
    const [region] = asked as [string];
    if (!resolved) {
      new CfnRule(this, 'SesRegionIsStackRegion', {
        assertions: [
          {
            assert: Fn.conditionEquals(Aws.REGION, region),
            assertDescription: `sesRegions names ${region}: deploy this stack in ${region} (the SES configuration set and its events exist only in the stack's region).`,
          },
        ],
      });
    }
    return region;
  }

  /** This account's SES identities, tenants and the configuration set, in each allowed region. */
  private sesResources(props: EmailIntegrationsStackProps): SesResources {
    const arn = (region: string, resource: string) =>
      `arn:${this.partition}:ses:${region === this.region ? this.region : region}:${this.account}:${resource}`;
    const regions = this.sesRegions(props);
    return {
      identities: regions.map((region) => arn(region, 'identity/*')),
      tenants: regions.map((region) => arn(region, 'tenant/*')),
      configurationSets: regions.map((region) => arn(region, `configuration-set/${this.configurationSetName}`)),
      reputationPolicies: regions.map((region) => `arn:${this.partition}:ses:${region}:aws:reputation-policy/standard`),
    };
  }
}

/** ARNs of the SES resources the functions may use. */
interface SesResources {
  identities: string[];
  tenants: string[];
  configurationSets: string[];
  reputationPolicies: string[];
}

/** SES actions per access kind, each on the resources it concerns. */
function sesAccess(kinds: FunctionAccess['ses'], resources: SesResources): PolicyStatement[] {
  const allow = (actions: string[], on: string[]) =>
    new PolicyStatement({ effect: Effect.ALLOW, actions, resources: on });
  const statements: PolicyStatement[] = [];
  if (kinds.includes('send')) {
    // SendEmail is authorized on the identity, the configuration set and the SES tenant it names.
    statements.push(
      allow(['ses:SendEmail'], [...resources.identities, ...resources.configurationSets, ...resources.tenants]),
    );
  }
  if (kinds.includes('read') || kinds.includes('onboard')) {
    statements.push(allow(['ses:GetEmailIdentity'], resources.identities));
    statements.push(allow(['ses:ListTenantResources'], resources.tenants));
    // Whose identity it is: a domain is the tenant's only while associated with its own SES tenant.
    statements.push(allow(['ses:ListResourceTenants'], [...resources.identities, ...resources.configurationSets]));
  }
  if (kinds.includes('tenant')) statements.push(allow(['ses:GetTenant'], resources.tenants));
  if (kinds.includes('account')) {
    // GetAccount names no resource: IAM allows it only on `*`.
    statements.push(allow(['ses:GetAccount'], ['*']));
  }
  if (kinds.includes('onboard')) {
    statements.push(
      allow(['ses:CreateTenant', 'ses:GetTenant'], resources.tenants),
      // The tenant's reputation policy is one of SES's own (`standard`), named by an `aws`-owned ARN.
      allow(['ses:UpdateReputationEntityPolicy'], [...resources.tenants, ...resources.reputationPolicies]),
      allow(
        ['ses:CreateEmailIdentity', 'ses:PutEmailIdentityMailFromAttributes', 'ses:DeleteEmailIdentity'],
        [...resources.identities, ...resources.configurationSets],
      ),
      // New identities (and SES tenants with hashed names) carry the tenant tag (tag on create).
      allow(['ses:TagResource'], [...resources.identities, ...resources.tenants]),
      allow(
        ['ses:CreateTenantResourceAssociation', 'ses:DeleteTenantResourceAssociation'],
        [...resources.tenants, ...resources.identities, ...resources.configurationSets],
      ),
    );
  }
  return statements;
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
