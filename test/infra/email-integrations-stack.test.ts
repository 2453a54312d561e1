import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSendMaxConcurrency } from '../../infra/constructs/send-pipeline.js';
import { EmailIntegrationsStack, type EmailIntegrationsStackProps } from '../../infra/email-integrations-stack.js';
import { type FunctionName, sendGridRouteKeys } from '../../infra/function-access.js';
import { API_ROUTES, PUBLIC_ROUTE_HANDLERS } from '../../shared/http/api-routes.js';
import {
  FEEDBACK_METRICS,
  HEALTH_CHECK_METRICS,
  METRIC_NAMESPACE,
  METRIC_SERVICE_NAME,
  OUTCOME_EVENT_METRICS,
  SES_EVENT_METRICS,
} from '../../shared/observability/metric-names.js';
import { OUTCOME_DETAIL_TYPES, OUTCOME_EVENT_SOURCE } from '../../shared/outcome-events/outcome-events.js';
import { REDELIVERY_POLICY } from '../../shared/sending/redelivery-policy.js';
import { SEND_METRICS } from '../../shared/sending/send-metrics.js';
import { SEND_OUTCOME_KIND_METRICS, SEND_OUTCOMES } from '../../shared/sending/send-outcomes.js';

const props: EmailIntegrationsStackProps = {
  stage: 'test',
  jwtIssuer: 'https://auth.example.com/',
  jwtAudience: ['email-integrations'],
  tenantClaim: 'custom:tenant_id',
  corsOrigins: ['https://console.example.com'],
  eventSource: 'app.automations',
};

/** The functions that announce outcome events on the service's bus. */
const OUTCOME_PUBLISHERS: FunctionName[] = [
  'save-sendgrid-integration',
  'rotate-sendgrid-key',
  'delete-sendgrid-integration',
  'send-email',
  'check-integration-health',
  'apply-feedback',
  'watch-ses-domains',
  'check-ses-domain',
  'receive-ses-events',
  'activate-ses',
  'send-test-email',
];

const PUBLISHER_ROLE = 'arn:aws:iam::111122223333:role/automations/publisher';
const PUBLISHER_ACCOUNT = '111122223333';
const OPERATOR_ROLE = 'arn:aws:iam::111122223333:role/email-integrations-operator';

/** A stack without bundling: the assertions are on the template; `npm run synth` bundles for real. */
function build(extra: Partial<EmailIntegrationsStackProps> = {}, id = 'EmailIntegrations') {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new EmailIntegrationsStack(app, id, { ...props, ...extra });
  return { stack, template: Template.fromStack(stack) };
}

let stack: EmailIntegrationsStack;
let template: Template;
let synthError: unknown;

beforeAll(() => {
  ({ stack, template } = build());
  // Separately a synth with cdk-nag as in infra/app.ts, where an unacknowledged AwsSolutions
  // finding makes synth throw; with every optional setting used, so their resources are checked too.
  const checked = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  new EmailIntegrationsStack(checked, 'EmailIntegrations', {
    ...props,
    sesRegions: ['eu-west-1'],
    sendPublisherPrincipals: [PUBLISHER_ROLE, PUBLISHER_ACCOUNT],
    operatorRoleArns: [OPERATOR_ROLE],
  });
  Validations.of(checked).addPlugins(new AwsSolutionsChecks(checked));
  try {
    checked.synth();
  } catch (error) {
    synthError = error;
  }
}, 240_000);

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = Record<string, unknown>;

const logicalId = (of: EmailIntegrationsStack, construct: IConstruct) =>
  of.getLogicalId(construct.node.defaultChild as CfnElement);
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** The function, found by its logical id. */
function functionOf(name: FunctionName, of = stack, from = template): Resource {
  const service = of.functions.get(name);
  if (!service) throw new Error(`no function ${name}`);
  return from.toJSON().Resources[logicalId(of, service.function)] as Resource;
}

/** Every statement of every policy attached to the function's role (found by logical id). */
function roleStatements(name: FunctionName, of = stack, from = template): Statement[] {
  const service = of.functions.get(name);
  if (!service) throw new Error(`no function ${name}`);
  const roleId = logicalId(of, service.role);
  expect(functionOf(name, of, from).Properties.Role).toEqual(arnOf(roleId));
  return Object.values(from.toJSON().Resources as Record<string, Resource>)
    .filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        (resource.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The one resource of a type in the template (fails when there is not exactly one). */
function onlyResource(from: Template, type: string) {
  const found = Object.values(from.findResources(type));
  if (found.length !== 1 || !found[0]) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** Statements in a stable order, so two lists compare exactly whatever order CDK wrote them in. */
const sorted = (statements: Statement[]) =>
  [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The encryption-context condition every use of the secrets key must carry. */
const TENANT_CONTEXT = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'provider'] },
  Null: { 'kms:EncryptionContext:tenantId': 'false' },
};

/** The statements a role is expected to hold, by what it touches. */
function expected(of = stack) {
  const id = (construct: IConstruct) => logicalId(of, construct);
  const store = of.node.findChild('Store');
  const tableArn = (table: string) => arnOf(id(store.node.findChild(table)));
  const action = (actions: string[]) => (actions.length === 1 ? actions[0] : actions);
  return {
    logs: (name: FunctionName) => ({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Effect: 'Allow',
      Resource: arnOf(id((of.functions.get(name) as IConstruct).node.findChild('Logs'))),
    }),
    xray: { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
    integrations: (...actions: string[]) => ({
      Action: action(actions.map((a) => `dynamodb:${a}`)),
      Effect: 'Allow',
      Resource: tableArn('Integrations'),
    }),
    sendLedger: (...actions: string[]) => ({
      Action: action(actions.map((a) => `dynamodb:${a}`)),
      Effect: 'Allow',
      Resource: tableArn('SendLedger'),
    }),
    suppressions: (...actions: string[]) => ({
      Action: action(actions.map((a) => `dynamodb:${a}`)),
      Effect: 'Allow',
      Resource: tableArn('Suppressions'),
    }),
    outcomeEvents: {
      Action: 'events:PutEvents',
      Effect: 'Allow',
      Resource: busArn(),
      Condition: { StringEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
    },
    sendLedgerIndexQuery: {
      Action: 'dynamodb:Query',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [tableArn('SendLedger'), '/index/byTenantTime']] },
    },
    keyChecks: {
      Action: 'dynamodb:UpdateItem',
      Effect: 'Allow',
      Resource: tableArn('KeyChecks'),
    },
    // Save and test send also keep Idempotency-Key claims there (claim, answer, give up).
    keyChecksAndIdempotency: {
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Effect: 'Allow',
      Resource: tableArn('KeyChecks'),
    },
    key: (keyAction: string) => ({
      Action: `kms:${keyAction}`,
      Condition: TENANT_CONTEXT,
      Effect: 'Allow',
      Resource: tableArn('SecretsKey'),
    }),
    eventWebhooks: (...actions: string[]) => ({
      Action: action(actions.map((a) => `dynamodb:${a}`)),
      Effect: 'Allow',
      Resource: tableArn('EventWebhooks'),
    }),
    sesDomains: (...actions: string[]) => ({
      Action: action(actions.map((a) => `dynamodb:${a}`)),
      Effect: 'Allow',
      Resource: tableArn('SesDomains'),
    }),
    /** SES on this account's identities, tenants and configuration set in the stack's region (as sesAccess). */
    ses: (kind: 'send' | 'read' | 'onboard' | 'account' | 'tenant'): Statement[] => {
      const sesArn = (resource: string) => of.resolve(`arn:${of.partition}:ses:${of.region}:${of.account}:${resource}`);
      const identities = sesArn('identity/*');
      const tenants = sesArn('tenant/*');
      const configurationSet = sesArn('configuration-set/email-integrations-test');
      const allow = (actions: string[], resources: unknown[]) => ({
        Action: action(actions),
        Effect: 'Allow',
        Resource: resources.length === 1 ? resources[0] : resources,
      });
      if (kind === 'send') return [allow(['ses:SendEmail'], [identities, configurationSet, tenants])];
      if (kind === 'account') return [allow(['ses:GetAccount'], ['*'])];
      if (kind === 'tenant') return [allow(['ses:GetTenant'], [tenants])];
      const read = [
        allow(['ses:GetEmailIdentity'], [identities]),
        allow(['ses:ListTenantResources'], [tenants]),
        allow(['ses:ListResourceTenants'], [identities, configurationSet]),
      ];
      if (kind === 'read') return read;
      const standardPolicy = of.resolve(`arn:${of.partition}:ses:${of.region}:aws:reputation-policy/standard`);
      return [
        ...read,
        allow(['ses:CreateTenant', 'ses:GetTenant'], [tenants]),
        allow(['ses:UpdateReputationEntityPolicy'], [tenants, standardPolicy]),
        allow(
          ['ses:CreateEmailIdentity', 'ses:PutEmailIdentityMailFromAttributes', 'ses:DeleteEmailIdentity'],
          [identities, configurationSet],
        ),
        allow(['ses:TagResource'], [identities, tenants]),
        allow(
          ['ses:CreateTenantResourceAssociation', 'ses:DeleteTenantResourceAssociation'],
          [tenants, identities, configurationSet],
        ),
      ];
    },
    sesEventDeadLetters: (actions: string | string[]) => ({
      Action: actions,
      Effect: 'Allow',
      Resource: arnOf(id(of.node.findChild('SesEvents').node.findChild('DeadLetters'))),
    }),
    feedbackQueue: (actions: string | string[]) => ({
      Action: actions,
      Effect: 'Allow',
      Resource: arnOf(id(of.node.findChild('FeedbackPipeline').node.findChild('Feedback'))),
    }),
    sendQueue: (actions: string | string[]) => ({
      Action: actions,
      Effect: 'Allow',
      Resource: arnOf(id(of.node.findChild('SendPipeline').node.findChild('SendRequests'))),
    }),
    intakeQueue: (actions: string | string[]) => ({
      Action: actions,
      Effect: 'Allow',
      Resource: arnOf(id(of.node.findChild('SendPipeline').node.findChild('IntakeRequests'))),
    }),
    healthRuns: (...actions: string[]) => ({
      Action: action(actions.map((a) => `dynamodb:${a}`)),
      Effect: 'Allow',
      Resource: tableArn('HealthRuns'),
    }),
    /** The planner's scan: keys only, named in the request. */
    integrationKeysScan: {
      Action: 'dynamodb:Scan',
      Effect: 'Allow',
      Resource: tableArn('Integrations'),
      Condition: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['tenantId', 'channel'] },
        StringEquals: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    },
    blockedIndexQuery: {
      Action: 'dynamodb:Query',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [tableArn('Integrations'), '/index/byBlockedStatus']] },
    },
    healthQueue: (queue: 'Plans' | 'Checks', actions: string | string[]) => ({
      Action: actions,
      Effect: 'Allow',
      Resource: arnOf(id(of.node.findChild('HealthCheck').node.findChild(queue))),
    }),
  };
}

describe('EmailIntegrationsStack', () => {
  it('synthesizes with cdk-nag’s AwsSolutions checks clean', () => {
    expect(synthError === undefined ? 'clean' : String(synthError)).toBe('clean');
  });

  it('keeps integrations in a table keyed by tenant, with point-in-time recovery and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'tenantId', KeyType: 'HASH' },
        { AttributeName: 'channel', KeyType: 'RANGE' },
      ],
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: Match.objectLike({ PointInTimeRecoveryEnabled: true }),
          DeletionProtectionEnabled: true,
        }),
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'sendKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('keeps key-check counters in an on-demand, encrypted table that expires them, given to every route that checks a pasted key', () => {
    const tableId = logicalId(stack, stack.node.findChild('Store').node.findChild('KeyChecks'));
    const table = template.toJSON().Resources[tableId] as Resource;
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    const variables = (name: FunctionName) =>
      (functionOf(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const withTable = [...stack.functions.keys()].filter((name) => variables(name).RATE_LIMIT_TABLE_NAME);
    // The routes that check a pasted key (shared/integrations/key-check-limit.ts), and the test
    // send, which keeps its Idempotency-Key claims there too.
    expect(withTable).toEqual([
      'verify-sendgrid-key',
      'save-sendgrid-integration',
      'rotate-sendgrid-key',
      'send-test-email',
    ]);
    for (const name of withTable) expect(variables(name).RATE_LIMIT_TABLE_NAME).toEqual({ Ref: tableId });
  });

  it('keeps suppression lists in a retained table keyed by tenant and address, without expiry, given only to the functions that use it', () => {
    const tableId = logicalId(stack, stack.node.findChild('Store').node.findChild('Suppressions'));
    const table = template.toJSON().Resources[tableId] as Resource & { DeletionPolicy?: string };
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'tenantId', KeyType: 'HASH' },
        { AttributeName: 'email', KeyType: 'RANGE' },
      ],
      SSESpecification: { SSEEnabled: true },
      Replicas: [
        expect.objectContaining({
          PointInTimeRecoverySpecification: expect.objectContaining({ PointInTimeRecoveryEnabled: true }),
          DeletionProtectionEnabled: true,
        }),
      ],
    });
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    expect(table.DeletionPolicy).toBe('Retain');
    const variables = (name: FunctionName) =>
      (functionOf(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const withTable = [...stack.functions.keys()].filter((name) => variables(name).SUPPRESSION_TABLE_NAME);
    expect(withTable.sort()).toEqual([
      'add-suppression',
      'apply-feedback',
      'list-suppressions',
      'remove-suppression',
      'send-email',
    ]);
    for (const name of withTable) expect(variables(name).SUPPRESSION_TABLE_NAME).toEqual({ Ref: tableId });
  });

  it('wraps stored keys with a KMS key that rotates and is retained', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
    });
  });

  it('puts every route behind the JWT authorizer but the provider’s webhook, which is throttled on its own', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: props.jwtIssuer, Audience: props.jwtAudience },
    });
    const publicRoutes = API_ROUTES.filter((route) => PUBLIC_ROUTE_HANDLERS.has(route.handler));
    expect(publicRoutes.map((route) => `${route.method} ${route.path}`)).toEqual([
      'POST /webhooks/sendgrid/{webhookId}',
    ]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /webhooks/sendgrid/{webhookId}',
      AuthorizationType: 'NONE',
    });
    const stage = onlyResource(template, 'AWS::ApiGatewayV2::Stage') as Resource;
    expect((stage.Properties.RouteSettings as Record<string, unknown>)['POST /webhooks/sendgrid/{webhookId}']).toEqual({
      ThrottlingRateLimit: 20,
      ThrottlingBurstLimit: 40,
    });
    for (const route of API_ROUTES.filter((candidate) => !PUBLIC_ROUTE_HANDLERS.has(candidate.handler))) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'JWT',
      });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Route', API_ROUTES.length);
  });

  it('throttles every route that calls SendGrid alike, tighter than the stage', () => {
    const tight = { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 };
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50 }),
      RouteSettings: Match.exact({
        'POST /integrations/sendgrid/verify': tight,
        'PUT /integrations/sendgrid': tight,
        'POST /integrations/sendgrid/rotate': tight,
        'PUT /integrations/sendgrid/emails': tight,
        'POST /integrations/sendgrid/test': tight,
        // The public webhook route has a throttle of its own (see the JWT test).
        'POST /webhooks/sendgrid/{webhookId}': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      }),
      AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('requestId') }),
    });
  });

  it('runs every function on Node.js 24, arm64, with a log group that expires', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    // One per route, the send intake, the send function, the health check's planner and checker, the SES domain checker, the feedback function.
    expect(Object.keys(functions)).toHaveLength(API_ROUTES.length + 7);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it('gives every SendGrid call a timeout shorter than its function’s, and the send lease a longer one', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const withSendGrid = functions.filter((fn) => fn.Properties.Environment?.Variables?.SENDGRID_TIMEOUT_MS);
    // Every route that calls SendGrid, plus the send function and the health check.
    expect(withSendGrid.length).toBeGreaterThanOrEqual(sendGridRouteKeys().length + 2);
    for (const fn of withSendGrid) {
      expect(Number(fn.Properties.Environment.Variables.SENDGRID_TIMEOUT_MS)).toBeLessThan(
        fn.Properties.Timeout * 1000,
      );
    }
    const send = functionOf('send-email').Properties as {
      Timeout: number;
      Environment: { Variables: Record<string, string> };
    };
    expect(Number(send.Environment.Variables.SEND_LEASE_MS)).toBeGreaterThan(send.Timeout * 1000);
  });

  it('gives each function’s role exactly what the function needs', () => {
    const e = expected();
    // What an SQS event source mapping needs of its queue (CDK grants it to the consumer's role).
    const eventSourceActions = [
      'sqs:ReceiveMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueUrl',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
    ];
    const cases: Record<FunctionName, Statement[]> = {
      'verify-sendgrid-key': [e.keyChecks],
      'save-sendgrid-integration': [
        e.integrations('GetItem', 'PutItem', 'UpdateItem'),
        e.keyChecksAndIdempotency,
        e.key('GenerateDataKey'),
      ],
      'get-sendgrid-integration': [e.integrations('GetItem'), ...e.ses('account')],
      'rotate-sendgrid-key': [e.integrations('GetItem', 'UpdateItem'), e.keyChecks, e.key('GenerateDataKey')],
      'update-sendgrid-senders': [e.integrations('GetItem', 'UpdateItem'), e.key('Decrypt')],
      'delete-sendgrid-integration': [e.integrations('GetItem', 'DeleteItem')],
      'send-test-email': [e.integrations('GetItem', 'UpdateItem'), e.keyChecksAndIdempotency, e.key('Decrypt')],
      'list-messages': [e.sendLedgerIndexQuery],
      'get-message': [e.sendLedger('GetItem')],
      'add-ses-domain': [e.sesDomains('GetItem', 'PutItem', 'Query'), ...e.ses('onboard')],
      'list-ses-domains': [e.sesDomains('Query'), ...e.ses('account')],
      'get-ses-domain': [e.sesDomains('GetItem')],
      'check-ses-domain': [
        e.sesDomains('GetItem', 'PutItem'),
        e.integrations('GetItem', 'UpdateItem'),
        ...e.ses('read'),
      ],
      'delete-ses-domain': [e.sesDomains('GetItem', 'DeleteItem'), e.integrations('GetItem'), ...e.ses('onboard')],
      'activate-ses': [
        e.sesDomains('Query', 'PutItem'),
        e.integrations('GetItem', 'PutItem', 'UpdateItem'),
        ...e.ses('read'),
        ...e.ses('account'),
      ],
      // Queues screened events on the send queue; the intake queue's event source mapping's own needs.
      'accept-send-request': [
        e.sendQueue('sqs:SendMessage'),
        e.intakeQueue([
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ]),
      ],
      'list-suppressions': [e.suppressions('Query')],
      'add-suppression': [e.suppressions('PutItem', 'GetItem')],
      'remove-suppression': [e.suppressions('DeleteItem')],
      'put-sendgrid-event-webhook': [e.eventWebhooks('GetItem', 'PutItem', 'DeleteItem')],
      'get-sendgrid-event-webhook': [e.eventWebhooks('GetItem')],
      'delete-sendgrid-event-webhook': [e.eventWebhooks('GetItem', 'DeleteItem')],
      'rotate-sendgrid-event-webhook-url': [e.eventWebhooks('GetItem', 'PutItem', 'DeleteItem')],
      'receive-sendgrid-events': [e.eventWebhooks('GetItem', 'UpdateItem'), e.feedbackQueue('sqs:SendMessage')],
      'receive-ses-events': [
        e.integrations('GetItem', 'UpdateItem'),
        e.feedbackQueue('sqs:SendMessage'),
        // Lambda's on-failure destination: what still fails after its retries.
        e.sesEventDeadLetters(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']),
      ],
      'apply-feedback': [
        e.sendLedger('GetItem', 'UpdateItem'),
        e.suppressions('PutItem'),
        // The SQS event source mapping's own needs.
        e.feedbackQueue([
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ]),
      ],
      'send-email': [
        e.integrations('GetItem', 'UpdateItem'),
        // BatchWriteItem: a batch's sent messages are settled in one write.
        e.sendLedger('GetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem'),
        e.suppressions('BatchGetItem'),
        e.key('Decrypt'),
        // Retry delays; queuing a message a tenant cap held back afresh.
        e.sendQueue(['sqs:ChangeMessageVisibility', 'sqs:SendMessage']),
        e.sendQueue(eventSourceActions),
      ],
      'plan-health-check': [
        e.integrationKeysScan,
        e.blockedIndexQuery,
        e.healthRuns('GetItem', 'PutItem', 'UpdateItem'),
        {
          Action: 'sqs:SendMessage',
          Effect: 'Allow',
          Resource: [e.healthQueue('Plans', '').Resource, e.healthQueue('Checks', '').Resource],
        },
        e.healthQueue('Plans', eventSourceActions),
      ],
      'check-integration-health': [
        e.integrations('GetItem', 'UpdateItem'),
        e.healthRuns('PutItem', 'UpdateItem'),
        e.key('Decrypt'),
        e.healthQueue('Checks', eventSourceActions),
      ],
      // Due domains from the byNextCheck index (never a scan), each check written back; cards updated.
      'watch-ses-domains': [
        {
          Action: ['dynamodb:Query', 'dynamodb:PutItem'],
          Effect: 'Allow',
          Resource: [
            e.sesDomains('Query').Resource,
            { 'Fn::Join': ['', [e.sesDomains('Query').Resource, '/index/byNextCheck']] },
          ],
        },
        e.integrations('GetItem', 'UpdateItem'),
      ],
    };
    // PutEvents on the service's bus, of its own source only, for the functions that announce outcomes.
    for (const name of OUTCOME_PUBLISHERS) cases[name] = [...cases[name], e.outcomeEvents];
    // SES on this account's identities, tenants and configuration set (as sesAccess), for the functions that use SES.
    const sesCases: Partial<Record<FunctionName, Statement[]>> = {
      'update-sendgrid-senders': e.ses('read'),
      'send-test-email': e.ses('send'),
      'send-email': e.ses('send'),
      'check-integration-health': [...e.ses('read'), ...e.ses('tenant')],
      'receive-ses-events': e.ses('tenant'),
      'watch-ses-domains': e.ses('read'),
    };
    for (const [name, statements] of Object.entries(sesCases) as Array<[FunctionName, Statement[]]>) {
      cases[name] = [...cases[name], ...statements];
    }
    expect([...stack.functions.keys()].sort()).toEqual(Object.keys(cases).sort());
    for (const [name, statements] of Object.entries(cases) as Array<[FunctionName, Statement[]]>) {
      expect({ name, statements: sorted(roleStatements(name)) }).toEqual({
        name,
        statements: sorted([e.logs(name), e.xray, ...statements]),
      });
    }
  });

  it('binds every KMS permission of every role to the tenant encryption context and the secrets key', () => {
    const keyArn = arnOf(logicalId(stack, stack.node.findChild('Store').node.findChild('SecretsKey')));
    const kmsStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((statement) => [statement.Action].flat().some((action) => String(action).startsWith('kms:')));
    // Save, rotate (GenerateDataKey); sender edits, test send, send, health check (Decrypt).
    expect(kmsStatements).toHaveLength(6);
    for (const statement of kmsStatements) {
      expect(statement.Condition).toEqual(TENANT_CONTEXT);
      expect(statement.Resource).toEqual(keyArn);
    }
  });

  it('keeps key administration for the account and lets only the service’s roles use the key, in context', () => {
    const id = (name: FunctionName) => logicalId(stack, stack.functions.get(name)?.role as IConstruct);
    const key = onlyResource(template, 'AWS::KMS::Key');
    expect(key.Properties.KeyPolicy.Statement).toEqual([
      {
        Sid: 'KeyAdministration',
        Effect: 'Allow',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] },
        },
        Action: [
          'kms:CreateAlias',
          'kms:Describe*',
          'kms:Enable*',
          'kms:List*',
          'kms:Put*',
          'kms:Update*',
          'kms:Revoke*',
          'kms:Disable*',
          'kms:Get*',
          'kms:Delete*',
          'kms:TagResource',
          'kms:UntagResource',
          'kms:ScheduleKeyDeletion',
          'kms:CancelKeyDeletion',
          'kms:RotateKeyOnDemand',
        ],
        Resource: '*',
      },
      {
        Sid: 'ServiceRolesDecrypt',
        Effect: 'Allow',
        Principal: {
          AWS: [
            arnOf(id('update-sendgrid-senders')),
            arnOf(id('send-test-email')),
            arnOf(id('send-email')),
            arnOf(id('check-integration-health')),
          ],
        },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: TENANT_CONTEXT,
      },
      {
        Sid: 'ServiceRolesGenerateDataKeys',
        Effect: 'Allow',
        Principal: { AWS: [arnOf(id('save-sendgrid-integration')), arnOf(id('rotate-sendgrid-key'))] },
        Action: 'kms:GenerateDataKey',
        Resource: '*',
        Condition: TENANT_CONTEXT,
      },
    ]);
  });

  it('lets the named operator roles decrypt for `npm run ops`, in context, and nothing more', () => {
    const { template: withOperators } = build({ operatorRoleArns: [OPERATOR_ROLE] }, 'WithOperators');
    const key = onlyResource(withOperators, 'AWS::KMS::Key');
    const statements = key.Properties.KeyPolicy.Statement as Statement[];
    expect(statements.map((statement) => statement.Sid)).toEqual([
      'KeyAdministration',
      'ServiceRolesDecrypt',
      'ServiceRolesGenerateDataKeys',
      'OperatorsDecrypt',
    ]);
    expect(statements[3]).toEqual({
      Sid: 'OperatorsDecrypt',
      Effect: 'Allow',
      Principal: { AWS: OPERATOR_ROLE },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: TENANT_CONTEXT,
    });
  });

  it('alarms only on metrics the functions publish, under the namespace and service they publish with', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_SERVICE_NAME: METRIC_SERVICE_NAME,
      });
    }
    // What the send path counts (each outcome kind, each outcome code) and the health check's failures.
    const published = new Set<string>([
      ...Object.values(SEND_OUTCOME_KIND_METRICS),
      ...Object.values(SEND_OUTCOMES).map((outcome) => outcome.metric),
      HEALTH_CHECK_METRICS.failures,
      ...Object.values(FEEDBACK_METRICS),
      ...Object.values(SES_EVENT_METRICS),
    ]);
    const serviceAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => !String(alarm.Properties.Namespace).startsWith('AWS/'),
    );
    expect(serviceAlarms.map((alarm) => alarm.Properties.MetricName).sort()).toEqual(
      [
        SEND_METRICS.deliveryUnknown,
        SEND_METRICS.failed,
        SEND_METRICS.untrustedEvent,
        HEALTH_CHECK_METRICS.failures,
        OUTCOME_EVENT_METRICS.unpublished,
        FEEDBACK_METRICS.invalidMessages,
        FEEDBACK_METRICS.listenerFailures,
        SES_EVENT_METRICS.malformed,
        SES_EVENT_METRICS.tenantMismatch,
      ].sort(),
    );
    for (const alarm of serviceAlarms) {
      expect(alarm.Properties).toMatchObject({
        Namespace: METRIC_NAMESPACE,
        Dimensions: [{ Name: 'service', Value: METRIC_SERVICE_NAME }],
      });
      expect(published.has(alarm.Properties.MetricName)).toBe(true);
    }
  });

  it('re-verifies every integration daily, and blocked tenants every 15 minutes, and alarms on failures', () => {
    const health = stack.node.findChild('HealthCheck');
    const plans = arnOf(logicalId(stack, health.node.findChild('Plans')));
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 3 * * ? *)',
      Target: Match.objectLike({ Arn: plans, Input: JSON.stringify({ scope: 'all' }) }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({ Arn: plans, Input: JSON.stringify({ scope: 'blocked' }) }),
    });
    // The two health-check schedules, and the SES domain checker's.
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HealthCheckFailures' });
  });

  it('scales the health check out: planner → check queue → checker with bounded concurrency, a dead-letter queue and alarms', () => {
    const health = stack.node.findChild('HealthCheck');
    const queueId = (name: string) => logicalId(stack, health.node.findChild(name));
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const deadLetters = arnOf(queueId('DeadLetters'));
    expect(resources[queueId('Checks')]?.Properties).toEqual({
      MessageRetentionPeriod: 86400,
      RedrivePolicy: { deadLetterTargetArn: deadLetters, maxReceiveCount: 3 },
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
    });
    expect(resources[queueId('Plans')]?.Properties).toEqual({
      MessageRetentionPeriod: 86400,
      RedrivePolicy: { deadLetterTargetArn: deadLetters, maxReceiveCount: 3 },
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 1800,
    });
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    const mappingOf = (queue: string) =>
      mappings.find(
        (mapping) => JSON.stringify(mapping.Properties.EventSourceArn) === JSON.stringify(arnOf(queueId(queue))),
      );
    expect(mappingOf('Checks')?.Properties).toEqual({
      BatchSize: 10,
      EventSourceArn: arnOf(queueId('Checks')),
      FunctionName: { Ref: logicalId(stack, stack.functions.get('check-integration-health')?.function as IConstruct) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    expect(mappingOf('Plans')?.Properties).toEqual({
      BatchSize: 1,
      EventSourceArn: arnOf(queueId('Plans')),
      FunctionName: { Ref: logicalId(stack, stack.functions.get('plan-health-check')?.function as IConstruct) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const variables = (name: FunctionName) =>
      (functionOf(name).Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(variables('plan-health-check')).toMatchObject({
      HEALTH_PLAN_QUEUE_URL: { Ref: queueId('Plans') },
      HEALTH_CHECK_QUEUE_URL: { Ref: queueId('Checks') },
      HEALTH_PLAN_PAGE_SIZE: '1000',
      HEALTH_PLAN_LEASE_MS: '360000',
      HEALTH_RUN_TABLE_NAME: { Ref: logicalId(stack, stack.node.findChild('Store').node.findChild('HealthRuns')) },
    });
    expect(variables('plan-health-check').KMS_KEY_ID).toBeUndefined();
    expect(variables('check-integration-health')).toMatchObject({
      HEALTH_CHECK_CONCURRENCY: '10',
      HEALTH_CHECK_LEASE_MS: '120000',
    });
    // A claim outlives its checker and lapses before SQS delivers the message again.
    const checker = functionOf('check-integration-health').Properties as { Timeout: number };
    const leaseMs = Number(variables('check-integration-health').HEALTH_CHECK_LEASE_MS);
    expect(leaseMs).toBeGreaterThan(checker.Timeout * 1000);
    expect(leaseMs).toBeLessThan((resources[queueId('Checks')]?.Properties.VisibilityTimeout as number) * 1000);
    const planner = functionOf('plan-health-check').Properties as { Timeout: number };
    expect(Number(variables('plan-health-check').HEALTH_PLAN_LEASE_MS)).toBeGreaterThan(planner.Timeout * 1000);
    const alarmOn = (queue: string, metric: string) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
        (alarm) =>
          alarm.Properties.MetricName === metric &&
          JSON.stringify(alarm.Properties.Dimensions).includes(queueId(queue)),
      );
    expect(alarmOn('DeadLetters', 'ApproximateNumberOfMessagesVisible')).toHaveLength(1);
    expect(alarmOn('Checks', 'ApproximateAgeOfOldestMessage')).toHaveLength(1);
  });

  it('lets only the planner send checks, and only the planner and the schedules send plans', () => {
    const health = stack.node.findChild('HealthCheck');
    const queueId = (name: string) => logicalId(stack, health.node.findChild(name));
    const policyOf = (queue: string) =>
      Object.values(template.findResources('AWS::SQS::QueuePolicy')).find(
        (resource) => JSON.stringify(resource.Properties.Queues) === JSON.stringify([{ Ref: queueId(queue) }]),
      )?.Properties.PolicyDocument.Statement as Statement[];
    const plannerRole = arnOf(logicalId(stack, stack.functions.get('plan-health-check')?.role as IConstruct));
    const schedulerRole = arnOf(queueId('SchedulerRole'));
    const denyBut = (sid: string, queue: string, roles: unknown[]) => ({
      Sid: sid,
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:SendMessage',
      Resource: arnOf(queueId(queue)),
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': roles } },
    });
    expect(policyOf('Checks')).toContainEqual(denyBut('OnlyThePlannerSendsChecks', 'Checks', [plannerRole]));
    expect(policyOf('Plans')).toContainEqual(
      denyBut('OnlyPlannerAndSchedulesSendPlans', 'Plans', [plannerRole, schedulerRole]),
    );
    // Every schedule that sends plans (the SES domain checker's invokes its own function instead).
    const planSchedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter(
      (schedule) => JSON.stringify(schedule.Properties.Target.Arn) === JSON.stringify(arnOf(queueId('Plans'))),
    );
    expect(planSchedules).toHaveLength(2);
    for (const schedule of planSchedules) {
      expect(schedule.Properties.Target.RoleArn).toEqual(schedulerRole);
    }
  });

  it('keeps run summaries and per-tenant claims in an expiring table, and blocked tenants in a sparse keys-only index', () => {
    const store = stack.node.findChild('Store');
    const resources = template.toJSON().Resources as Record<string, Resource>;
    expect(resources[logicalId(stack, store.node.findChild('HealthRuns'))]?.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'runKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(resources[logicalId(stack, store.node.findChild('Integrations'))]?.Properties).toMatchObject({
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byBlockedStatus',
          KeySchema: [
            { AttributeName: 'blockedStatus', KeyType: 'HASH' },
            { AttributeName: 'tenantId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('feeds the send function from the service’s own bus through the intake queue, the intake and the fair queue, with a dead-letter queue and alarms', () => {
    const pipeline = stack.node.findChild('SendPipeline');
    const id = (name: string) => logicalId(stack, pipeline.node.findChild(name));
    const intakeId = logicalId(stack, stack.functions.get('accept-send-request')?.function as IConstruct);
    const sendId = logicalId(stack, stack.functions.get('send-email')?.function as IConstruct);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'email-integrations-test' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: id('Bus') },
      EventPattern: Match.exact({
        source: ['app.automations'],
        'detail-type': ['Email Send Requested'],
        account: [{ Ref: 'AWS::AccountId' }],
      }),
      // Only the intake queue: EventBridge retries a failed hand-over for a day, then the dead-letter queue.
      Targets: [
        {
          Arn: arnOf(id('IntakeRequests')),
          Id: 'Target0',
          DeadLetterConfig: { Arn: arnOf(id('DeadLetters')) },
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        },
      ],
    });
    // The send rule is the only one on the service's bus (SES's rules are on the default bus).
    const onServiceBus = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (rule) => JSON.stringify(rule.Properties.EventBusName) === JSON.stringify({ Ref: id('Bus') }),
    );
    expect(onServiceBus).toHaveLength(1);
    const queues = template.toJSON().Resources as Record<string, Resource>;
    expect(queues[id('IntakeRequests')]?.Properties).toMatchObject({
      RedrivePolicy: { deadLetterTargetArn: arnOf(id('DeadLetters')), maxReceiveCount: 5 },
      VisibilityTimeout: 60,
    });
    expect(queues[id('SendRequests')]?.Properties).toMatchObject({
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(id('DeadLetters')),
        maxReceiveCount: REDELIVERY_POLICY.maxReceiveCount,
      },
      VisibilityTimeout: 180,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: intakeId },
      EventSourceArn: arnOf(id('IntakeRequests')),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 50 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: sendId },
      EventSourceArn: arnOf(id('SendRequests')),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EmailsDeliveryUnknown' });
  });

  it('feeds the feedback function from its own queue with a dead-letter queue, partial batch failures and alarms', () => {
    const pipeline = stack.node.findChild('FeedbackPipeline');
    const queueId = logicalId(stack, pipeline.node.findChild('Feedback'));
    const deadLettersId = logicalId(stack, pipeline.node.findChild('DeadLetters'));
    const queue = template.toJSON().Resources[queueId] as Resource;
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: arnOf(deadLettersId), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(queueId),
      FunctionName: {
        Ref: logicalId(
          stack,
          (stack.functions.get('apply-feedback') as IConstruct & { function: IConstruct }).function,
        ),
      },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLettersId, 'QueueName'] } }],
      Threshold: 1,
    });
    for (const metric of [FEEDBACK_METRICS.invalidMessages, FEEDBACK_METRICS.listenerFailures]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric, Threshold: 1 });
    }
    const receiver = functionOf('receive-sendgrid-events').Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(receiver.Environment.Variables.FEEDBACK_QUEUE_URL).toEqual({ Ref: queueId });
  });

  it('tells the send intake and the send function the only event source and account they may accept', () => {
    for (const name of ['accept-send-request', 'send-email'] as const) {
      expect(functionOf(name).Properties.Environment).toMatchObject({
        Variables: { SEND_EVENT_SOURCE: 'app.automations', SEND_EVENT_ACCOUNT: { Ref: 'AWS::AccountId' } },
      });
    }
  });

  it('runs as many send functions at once as sendMaxConcurrency says, and refuses a value Lambda would not take', () => {
    const { template: wider } = build({ sendMaxConcurrency: 50 }, 'WiderSending');
    wider.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 50 } });
    expect(() => build({ sendMaxConcurrency: 1 }, 'TooNarrow')).toThrow(
      /sendMaxConcurrency: 1 is not a whole number from 2 to 1000/,
    );
    expect(parseSendMaxConcurrency('30')).toBe(30);
    expect(parseSendMaxConcurrency(undefined)).toBe(20);
    expect(() => parseSendMaxConcurrency('5x')).toThrow(/sendMaxConcurrency: 5x/);
  });

  it('lets no automation publish on the bus when no publisher is named, and says so at synth', () => {
    const bus = onlyResource(template, 'AWS::Events::EventBus');
    const roles = outcomeRoleArns();
    expect(bus.Properties.Policy.Statement).toEqual([
      ...outcomeStatements(roles),
      {
        Sid: 'NobodyElsePuts',
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: busArn(),
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': roles } },
      },
    ]);
    Annotations.fromStack(stack).hasWarning(
      '/EmailIntegrations/SendPipeline/Bus',
      Match.stringLikeRegexp('No sendPublisherPrincipals'),
    );
  });

  it('lets only the named publishers put send requests on the bus and denies every other principal', () => {
    const { stack: withStack, template: withPublishers } = build(
      { sendPublisherPrincipals: [PUBLISHER_ROLE, PUBLISHER_ACCOUNT] },
      'WithPublishers',
    );
    const bus = onlyResource(withPublishers, 'AWS::Events::EventBus');
    const roles = outcomeRoleArns(withStack);
    expect(bus.Properties.Policy.Statement).toEqual([
      {
        Sid: 'NamedPublishersPutSendRequests',
        Effect: 'Allow',
        Principal: {
          AWS: [
            PUBLISHER_ROLE,
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${PUBLISHER_ACCOUNT}:root`]] },
          ],
        },
        Action: 'events:PutEvents',
        Resource: busArn(),
        Condition: {
          StringEquals: { 'events:source': 'app.automations', 'events:detail-type': 'Email Send Requested' },
        },
      },
      ...outcomeStatements(roles),
      {
        Sid: 'NobodyElsePuts',
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: busArn(),
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': [PUBLISHER_ROLE, ...roles] },
          StringNotEquals: { 'aws:PrincipalAccount': [PUBLISHER_ACCOUNT] },
        },
      },
    ]);
  });

  it('lets the named operator roles put only Email Integration Status Changed on the bus, for `npm run ops`', () => {
    const { stack: withStack, template: withOperators } = build({ operatorRoleArns: [OPERATOR_ROLE] }, 'BusOperators');
    const bus = onlyResource(withOperators, 'AWS::Events::EventBus');
    const roles = outcomeRoleArns(withStack);
    const operatorPuts = { Effect: 'Allow', Principal: { AWS: OPERATOR_ROLE }, Action: 'events:PutEvents' };
    expect(bus.Properties.Policy.Statement).toEqual([
      ...outcomeStatements(roles),
      {
        Sid: 'OperatorsPutStatusChanges',
        ...operatorPuts,
        Resource: busArn(),
        Condition: {
          StringEquals: {
            'events:source': OUTCOME_EVENT_SOURCE,
            'events:detail-type': OUTCOME_DETAIL_TYPES.integrationStatusChanged,
          },
        },
      },
      {
        Sid: 'OperatorsPutNoOtherSource',
        ...operatorPuts,
        Effect: 'Deny',
        Resource: busArn(),
        Condition: { StringNotEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
      },
      {
        Sid: 'OperatorsPutNoOtherDetailType',
        ...operatorPuts,
        Effect: 'Deny',
        Resource: busArn(),
        Condition: { StringNotEquals: { 'events:detail-type': OUTCOME_DETAIL_TYPES.integrationStatusChanged } },
      },
      {
        Sid: 'NobodyElsePuts',
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: busArn(),
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...roles, OPERATOR_ROLE] } },
      },
    ]);
    // Those denials would refuse a publisher's send requests: one role cannot be both.
    expect(() =>
      build({ operatorRoleArns: [PUBLISHER_ROLE], sendPublisherPrincipals: [PUBLISHER_ROLE] }, 'OperatorPublishes'),
    ).toThrow(/operatorRoleArns: .*role\/automations\/publisher is also in sendPublisherPrincipals/);
  });

  it('gives exactly the functions that announce outcomes the bus’s name, and lets them put only their own events', () => {
    const withBus = [...stack.functions.keys()].filter(
      (name) =>
        (functionOf(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables
          .OUTCOME_EVENT_BUS_NAME,
    );
    expect(withBus.sort()).toEqual([...OUTCOME_PUBLISHERS].sort());
    const statements = onlyResource(template, 'AWS::Events::EventBus').Properties.Policy.Statement as Statement[];
    expect(statements.find((statement) => statement.Sid === 'ServiceFunctionsPutNothingElse')).toMatchObject({
      Effect: 'Deny',
      Condition: { StringNotEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
    });
  });

  it('never feeds the service’s own outcome events back into the send rule', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (rule) => rule.Properties.EventPattern !== undefined,
    );
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const pattern = rule.Properties.EventPattern as { source?: string[]; 'detail-type'?: string[] };
      expect(pattern.source ?? []).not.toContain(OUTCOME_EVENT_SOURCE);
      for (const detailType of Object.values(OUTCOME_DETAIL_TYPES)) {
        expect(pattern['detail-type'] ?? []).not.toContain(detailType);
      }
    }
    expect(() => build({ eventSource: OUTCOME_EVENT_SOURCE }, 'Loop')).toThrow(
      /eventSource: "email-integrations" is the source of the service's own outcome events/,
    );
  });

  it('alarms when outcome events could not be published', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OutcomeEventsUnpublished',
      Threshold: 1,
    });
  });

  it('refuses publishers outside the stack’s account, whose events the rule would drop', () => {
    expect(() => build({ sendPublisherPrincipals: [PUBLISHER_ROLE, '444455556666'] }, 'TwoAccounts')).toThrow(
      /every publisher must be in the stack's account; found 111122223333, 444455556666/,
    );
    expect(() =>
      build(
        { env: { account: '444455556666', region: 'eu-central-1' }, sendPublisherPrincipals: [PUBLISHER_ROLE] },
        'OtherAccount',
      ),
    ).toThrow(/every publisher must be in the stack's account; found 111122223333/);
  });

  it('refuses a publisher that is neither a role ARN nor an account id', () => {
    expect(() =>
      build({ sendPublisherPrincipals: ['arn:aws:iam::111122223333:user/someone'] }, 'BadPublisher'),
    ).toThrow(/neither an IAM role ARN .* nor a 12-digit account id/);
  });

  it('accepts messages on the intake queue only from the send rule, denying every other sender', () => {
    const pipeline = stack.node.findChild('SendPipeline');
    const queueId = logicalId(stack, pipeline.node.findChild('IntakeRequests'));
    const queueArn = arnOf(queueId);
    const ruleArn = arnOf(logicalId(stack, pipeline.node.findChild('SendRequested')));
    const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find(
      (resource) => JSON.stringify(resource.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
    );
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
      {
        Sid: 'OnlyTheSendRuleSends',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnNotEquals: { 'aws:SourceArn': ruleArn } },
      },
    ]);
  });

  it('accepts messages on the send queue only from the intake’s and the send function’s roles, denying every other sender', () => {
    const queuePolicy = (of: EmailIntegrationsStack, from: Template) => {
      const pipeline = of.node.findChild('SendPipeline');
      const queueId = logicalId(of, pipeline.node.findChild('SendRequests'));
      const policy = Object.values(from.findResources('AWS::SQS::QueuePolicy')).find(
        (resource) => JSON.stringify(resource.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
      );
      return {
        statements: policy?.Properties.PolicyDocument.Statement as Statement[],
        queueArn: arnOf(queueId),
        intakeRoleArn: arnOf(logicalId(of, of.functions.get('accept-send-request')?.role as IConstruct)),
        sendRoleArn: arnOf(logicalId(of, of.functions.get('send-email')?.role as IConstruct)),
      };
    };
    const { statements, queueArn, intakeRoleArn, sendRoleArn } = queuePolicy(stack, template);
    // No Allow for anyone: the intake's own role grants it; the Deny keeps everyone else out, IAM rights or not.
    expect(statements).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'OnlyTheIntakeSends',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        // The intake queues events; the send function queues again what a tenant cap held back.
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [intakeRoleArn, sendRoleArn] } },
      },
    ]);

    // Operators may put dead letters back (`npm run ops -- redrive`): exempt by role ARN, nobody else.
    const operators = build({ operatorRoleArns: [OPERATOR_ROLE] }, 'QueueWithOperators');
    const withOperators = queuePolicy(operators.stack, operators.template);
    expect(withOperators.statements[1]).toEqual({
      Sid: 'OnlyTheIntakeSends',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:SendMessage',
      Resource: withOperators.queueArn,
      Condition: {
        ArnNotEquals: {
          'aws:PrincipalArn': [withOperators.intakeRoleArn, withOperators.sendRoleArn, OPERATOR_ROLE],
        },
      },
    });
  });

  it('grants SES on this account’s identities, tenants and configuration set in the region sesRegions names, never per domain', () => {
    const { template: withRegions } = build({ sesRegions: ['eu-west-1'] }, 'WithSesRegions');
    const sesStatements = Object.values(withRegions.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((statement) => [statement.Action].flat().some((action) => String(action).startsWith('ses:')))
      // GetAccount names no resource (IAM allows it only on *).
      .filter((statement) => statement.Action !== 'ses:GetAccount');
    expect(sesStatements.length).toBeGreaterThan(0);
    for (const statement of sesStatements) {
      const resources = JSON.stringify(statement.Resource);
      expect(resources).toContain(':ses:eu-west-1:');
      expect(resources).not.toMatch(/identity\/[a-z0-9]/);
    }
    // The stack's region is known only at deploy time: CloudFormation refuses any other.
    expect(withRegions.toJSON().Rules?.SesRegionIsStackRegion).toEqual({
      Assertions: [
        { Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }, AssertDescription: expect.any(String) },
      ],
    });
  });

  it('refuses at synth SES regions the stack does not provision the configuration set in', () => {
    expect(() => build({ sesRegions: ['eu-west-1', 'us-east-1'] }, 'TwoSesRegions')).toThrow(
      /sesRegions lists eu-west-1, us-east-1.*deploy one stack per region/,
    );
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(
      () =>
        new EmailIntegrationsStack(app, 'Pinned', {
          ...props,
          env: { account: '123456789012', region: 'eu-central-1' },
          sesRegions: ['us-east-1'],
        }),
    ).toThrow(/only in its own region, eu-central-1/);
    const pinned = new EmailIntegrationsStack(app, 'PinnedOwn', {
      ...props,
      env: { account: '123456789012', region: 'eu-central-1' },
      sesRegions: ['eu-central-1'],
    });
    expect(Template.fromStack(pinned).toJSON().Rules?.SesRegionIsStackRegion).toBeUndefined();
  });

  it('runs the SES domain checker every 10 minutes on a sparse index of watched domains by next check', () => {
    const checker = arnOf(logicalId(stack, stack.functions.get('watch-ses-domains')?.function as IConstruct));
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      Target: Match.objectLike({ Arn: checker }),
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byNextCheck',
          KeySchema: [
            { AttributeName: 'watch', KeyType: 'HASH' },
            { AttributeName: 'nextCheckAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it('creates the configuration set every SES send names, publishing SES’s events to the default bus', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'email-integrations-test' });
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({
        Enabled: true,
        MatchingEventTypes: [
          'SEND',
          'DELIVERY',
          'BOUNCE',
          'COMPLAINT',
          'REJECT',
          'DELIVERY_DELAY',
          'RENDERING_FAILURE',
        ],
        EventBridgeDestination: { EventBusArn: Match.anyValue() },
      }),
    });
    const send = functionOf('send-email').Properties as { Environment: { Variables: Record<string, unknown> } };
    expect(send.Environment.Variables.SES_CONFIGURATION_SET).toBe('email-integrations-test');
  });

  it('routes SES’s email events of its configuration set and tenant status events from the default bus to receive-ses-events', () => {
    const receiver = arnOf(logicalId(stack, stack.functions.get('receive-ses-events')?.function as IConstruct));
    const deadLetters = arnOf(
      logicalId(stack, stack.node.findChild('SesEvents').node.findChild('DeadLetters') as IConstruct),
    );
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (rule) => rule.Properties.EventPattern?.source?.[0] === 'aws.ses',
    );
    const target = {
      Arn: receiver,
      Id: 'Target0',
      DeadLetterConfig: { Arn: deadLetters },
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
    };
    expect(rules.map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({
        EventPattern: {
          source: ['aws.ses'],
          'detail-type': [
            'Email Sent',
            'Email Delivered',
            'Email Bounced',
            'Email Complaint Received',
            'Email Rejected',
            'Email Delivery Delayed',
            'Email Rendering Failed',
          ],
          detail: { mail: { tags: { 'ses:configuration-set': ['email-integrations-test'] } } },
        },
        Targets: [target],
      }),
      expect.objectContaining({
        EventPattern: { source: ['aws.ses'], 'detail-type': ['Sending Status Enabled', 'Sending Status Disabled'] },
        Targets: [target],
      }),
    ]);
    // The default bus: the only one SES publishes to.
    for (const rule of rules) expect(rule.Properties.EventBusName).toBe('default');
    // Lambda's own retries, then the same dead-letter queue.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, stack.functions.get('receive-ses-events')?.function as IConstruct) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: deadLetters } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetters['Fn::GetAtt'][0], 'QueueName'] } }],
    });
  });

  it('exports the API URL, tables, key and event bus for operators and publishers', () => {
    for (const output of ['ApiUrl', 'TableName', 'KeyArn', 'SendLedgerTableName', 'EventBusName', 'EventBusArn']) {
      expect(Object.keys(template.findOutputs(output))).toEqual([output]);
    }
    expect(template.findOutputs('EventBusName').EventBusName?.Value).toEqual({
      Ref: logicalId(stack, stack.node.findChild('SendPipeline').node.findChild('Bus')),
    });
  });
});

/** The role ARNs of the functions that announce outcomes, in the stack's order. */
function outcomeRoleArns(of = stack) {
  return [...of.functions]
    .filter(([name]) => OUTCOME_PUBLISHERS.includes(name))
    .map(([, entry]) => arnOf(logicalId(of, entry.role)));
}

/** The bus policy's statements for the service's own functions: their outcome events, nothing else. */
function outcomeStatements(roles: unknown[]) {
  return [
    {
      Sid: 'ServiceFunctionsPutOutcomeEvents',
      Effect: 'Allow',
      Principal: { AWS: roles },
      Action: 'events:PutEvents',
      Resource: busArn(),
      Condition: { StringEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
    },
    {
      Sid: 'ServiceFunctionsPutNothingElse',
      Effect: 'Deny',
      Principal: { AWS: roles },
      Action: 'events:PutEvents',
      Resource: busArn(),
      Condition: { StringNotEquals: { 'events:source': OUTCOME_EVENT_SOURCE } },
    },
  ];
}

/** The bus's ARN as its policy names it (from the name, not the bus's own attribute). */
function busArn() {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':events:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':event-bus/email-integrations-test',
      ],
    ],
  };
}
