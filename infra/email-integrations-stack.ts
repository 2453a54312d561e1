import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { API_ROUTES, type HandlerName } from '../shared/http/api-routes.js';
import { keyAccess, tableAccess } from './constructs/access.js';
import { alarmWhenAtLeast, serviceMetric } from './constructs/alarms.js';
import { ServiceHttpApi } from './constructs/http-api.js';
import { IntegrationStore } from './constructs/integration-store.js';
import { SendPipeline } from './constructs/send-pipeline.js';
import { ServiceFunction } from './constructs/service-function.js';

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
   * Domains verified in Amazon SES that tenants moved to SES may send from (`npm run ops -- migrate`).
   * Empty: SES is not used, and no function may call it.
   */
  sesIdentityDomains?: string[];
}

/** API functions answer within API Gateway's 30 s; each SendGrid call times out well before. */
const API_TIMEOUT = Duration.seconds(15);
const SEND_TIMEOUT = Duration.seconds(30);
const SENDGRID_TIMEOUT_MS = '5000';

/**
 * email-integrations: the integration store (KMS key, integration table, send ledger), the
 * console's HTTP API with one least-privilege function per route, and the send pipeline
 * (EventBridge → SQS → send function) with its alarms.
 */
export class EmailIntegrationsStack extends Stack {
  constructor(scope: Construct, id: string, props: EmailIntegrationsStackProps) {
    super(scope, id, props);
    const store = new IntegrationStore(this, 'Store', { stage: props.stage });
    const { integrations, sendLedger, secretsKey } = store;

    /** What each route's function may do, beyond its logs: the whole of its role. */
    const routeAccess: Record<HandlerName, { statements: PolicyStatement[]; env: Record<string, string> }> = {
      'verify-sendgrid-key': { statements: [], env: {} },
      'save-sendgrid-integration': {
        statements: [tableAccess(integrations, ['GetItem', 'PutItem']), keyAccess(secretsKey, ['GenerateDataKey'])],
        env: { TABLE_NAME: integrations.tableName, KMS_KEY_ID: secretsKey.keyArn },
      },
      'get-sendgrid-integration': {
        statements: [tableAccess(integrations, ['GetItem'])],
        env: { TABLE_NAME: integrations.tableName },
      },
      'rotate-sendgrid-key': {
        statements: [tableAccess(integrations, ['GetItem', 'PutItem']), keyAccess(secretsKey, ['GenerateDataKey'])],
        env: { TABLE_NAME: integrations.tableName, KMS_KEY_ID: secretsKey.keyArn },
      },
      'update-sendgrid-senders': {
        statements: [tableAccess(integrations, ['GetItem', 'PutItem']), keyAccess(secretsKey, ['Decrypt'])],
        env: { TABLE_NAME: integrations.tableName, KMS_KEY_ID: secretsKey.keyArn },
      },
      'delete-sendgrid-integration': {
        statements: [tableAccess(integrations, ['GetItem', 'DeleteItem'])],
        env: { TABLE_NAME: integrations.tableName },
      },
      'send-test-email': {
        // PutItem: a refused key or sender is written onto the card.
        statements: [tableAccess(integrations, ['GetItem', 'PutItem']), keyAccess(secretsKey, ['Decrypt'])],
        env: {
          TABLE_NAME: integrations.tableName,
          KMS_KEY_ID: secretsKey.keyArn,
          SEND_LEDGER_TABLE_NAME: sendLedger.tableName,
        },
      },
    };

    const routeFunctions = new Map<HandlerName, ServiceFunction>();
    const routes = API_ROUTES.map((route) => {
      const access = routeAccess[route.handler];
      const fn = new ServiceFunction(this, pascalCase(route.handler), {
        handler: route.handler,
        description: `${route.method} ${route.path}`,
        timeout: API_TIMEOUT,
        statements: access.statements,
        environment: { TENANT_CLAIM: props.tenantClaim, SENDGRID_TIMEOUT_MS, ...access.env },
      });
      routeFunctions.set(route.handler, fn);
      return { method: route.method, path: route.path, function: fn.function };
    });
    const http = new ServiceHttpApi(this, 'Http', {
      jwtIssuer: props.jwtIssuer,
      jwtAudience: props.jwtAudience,
      corsOrigins: props.corsOrigins,
      routes,
      tightRoutes: ['POST /integrations/sendgrid/verify', 'POST /integrations/sendgrid/test'],
    });
    alarmWhenAtLeast(this, 'Api5xx', {
      description: 'The HTTP API answered 5xx: a function failed or timed out.',
      metric: http.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
    });

    const pipeline = new SendPipeline(this, 'SendPipeline', {
      eventSource: props.eventSource,
      sendFunctionTimeout: SEND_TIMEOUT,
    });
    const send = new ServiceFunction(this, 'SendEmail', {
      handler: 'send-email',
      description: 'Sends the automations’ emails through each tenant’s SendGrid account',
      timeout: SEND_TIMEOUT,
      statements: [
        tableAccess(integrations, ['GetItem', 'PutItem']),
        tableAccess(sendLedger, ['GetItem', 'PutItem', 'UpdateItem']),
        keyAccess(secretsKey, ['Decrypt']),
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['sqs:ChangeMessageVisibility'],
          resources: [pipeline.queue.queueArn],
        }),
      ],
      environment: {
        TABLE_NAME: integrations.tableName,
        SEND_LEDGER_TABLE_NAME: sendLedger.tableName,
        KMS_KEY_ID: secretsKey.keyArn,
        SEND_QUEUE_URL: pipeline.queue.queueUrl,
        SENDGRID_TIMEOUT_MS: '10000',
        // A claim outlives the function that took it, so a live attempt is never taken for dead.
        SEND_LEASE_MS: String((SEND_TIMEOUT.toSeconds() + 60) * 1000),
      },
    });
    pipeline.connect(send.function);

    // The daily health check: re-verifies every stored key and writes the result onto the cards.
    const healthCheck = new ServiceFunction(this, 'RunHealthCheck', {
      handler: 'run-health-check',
      description: 'Daily: re-verifies every tenant’s SendGrid key, scopes and senders',
      timeout: Duration.minutes(10),
      statements: [tableAccess(integrations, ['Scan', 'PutItem']), keyAccess(secretsKey, ['Decrypt'])],
      environment: { TABLE_NAME: integrations.tableName, KMS_KEY_ID: secretsKey.keyArn, SENDGRID_TIMEOUT_MS },
    });
    // The scheduler's invoke grant covers the function's versions (`arn:*`), which cdk-nag flags.
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(healthCheck.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason: 'EventBridge Scheduler may invoke only the health check function (and its versions), nothing else.',
    });
    new Schedule(this, 'DailyHealthCheck', {
      description: 'Runs the integration health check once a day',
      schedule: ScheduleExpression.expression('cron(15 3 * * ? *)'),
      target: new LambdaInvoke(healthCheck.function, { retryAttempts: 2 }),
    });
    alarmWhenAtLeast(this, 'HealthCheckFailures', {
      description: 'The health check could not verify some integrations (SendGrid unreachable or a key unreadable).',
      metric: serviceMetric('HealthCheckFailures', Duration.days(1)),
      threshold: 1,
    });
    alarmWhenAtLeast(this, 'HealthCheckErrors', {
      description: 'The health check function failed.',
      metric: healthCheck.function.metricErrors({ period: Duration.days(1), statistic: 'Sum' }),
      threshold: 1,
    });

    // Amazon SES, only for the identities configured: the send path and the test send may send as them.
    const sesDomains = props.sesIdentityDomains ?? [];
    if (sesDomains.length > 0) {
      const sesSend = new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail'],
        resources: sesDomains.map(
          (domain) => `arn:${this.partition}:ses:${this.region}:${this.account}:identity/${domain}`,
        ),
      });
      for (const fn of [send, routeFunctions.get('send-test-email')]) {
        fn?.role.addToPolicy(sesSend);
        fn?.function.addEnvironment('SES_ACCOUNT_ID', this.account);
      }
      // The health check and sender edits check SES tenants' senders against the identities of
      // each tenant's own SES tenant (ListTenantResources), then those identities' status.
      for (const fn of [healthCheck, routeFunctions.get('update-sendgrid-senders')]) {
        fn?.role.addToPolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['ses:GetEmailIdentity'],
            resources: sesDomains.map(
              (domain) => `arn:${this.partition}:ses:${this.region}:${this.account}:identity/${domain}`,
            ),
          }),
        );
        fn?.role.addToPolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['ses:ListTenantResources'],
            resources: [`arn:${this.partition}:ses:${this.region}:${this.account}:tenant/*`],
          }),
        );
        if (fn) {
          Validations.of(fn.role).acknowledge({
            id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:tenant/*]',
            reason:
              'SES tenant ARNs end in an id SES assigns; the code asks only for the tenant named after its own tenant.',
          });
        }
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: http.stage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'TableName', { value: integrations.tableName, description: 'Integration table' });
    new CfnOutput(this, 'SendLedgerTableName', { value: sendLedger.tableName, description: 'Send ledger table' });
    new CfnOutput(this, 'KeyArn', { value: secretsKey.keyArn, description: 'KMS key wrapping stored SendGrid keys' });
    new CfnOutput(this, 'SendQueueUrl', { value: pipeline.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: pipeline.deadLetters.queueUrl });
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
