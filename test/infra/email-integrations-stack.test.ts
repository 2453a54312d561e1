import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmailIntegrationsStack } from '../../infra/email-integrations-stack.js';
import { API_ROUTES } from '../../shared/http/api-routes.js';

const props = {
  stage: 'test',
  jwtIssuer: 'https://auth.example.com/',
  jwtAudience: ['email-integrations'],
  tenantClaim: 'custom:tenant_id',
  corsOrigins: ['https://console.example.com'],
  eventSource: 'app.automations',
};

let template: Template;
let synthError: unknown;

beforeAll(() => {
  // The template to assert on, and separately a synth with cdk-nag as in infra/app.ts, where an
  // unacknowledged AwsSolutions finding makes synth throw.
  template = Template.fromStack(new EmailIntegrationsStack(new App(), 'EmailIntegrations', props));
  const checked = new App();
  new EmailIntegrationsStack(checked, 'EmailIntegrations', props);
  Validations.of(checked).addPlugins(new AwsSolutionsChecks(checked));
  try {
    checked.synth();
  } catch (error) {
    synthError = error;
  }
}, 120_000);

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

/** Every action a function's role allows, with the statements, found through the function's Role. */
function roleOf(handler: string): { actions: string[]; statements: Statement[] } {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const fn = Object.values(resources).find(
    (resource) => resource.Type === 'AWS::Lambda::Function' && matchesHandler(resource, handler),
  );
  if (!fn) throw new Error(`no function for ${handler}`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = Object.values(resources)
    .filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        (resource.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return { actions: statements.flatMap((statement) => [statement.Action].flat()), statements };
}

function matchesHandler(resource: Resource, handler: string): boolean {
  const route = API_ROUTES.find((entry) => entry.handler === handler);
  const description = String(resource.Properties.Description ?? '');
  if (route) return description === `${route.method} ${route.path}`;
  return handler === 'send-email' ? description.startsWith('Sends the automations') : description.startsWith('Daily');
}

/** What a role may do to data: everything but writing its own logs and traces. */
const dataActions = (actions: string[]) =>
  actions.filter((action) => !action.startsWith('logs:') && !action.startsWith('xray:')).sort();

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

  it('wraps stored keys with a KMS key that rotates and is retained', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
    });
  });

  it('puts every route behind the JWT authorizer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: props.jwtIssuer, Audience: props.jwtAudience },
    });
    for (const route of API_ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'JWT',
      });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Route', API_ROUTES.length);
  });

  it('throttles verify and test send tighter than the stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50 }),
      RouteSettings: {
        'POST /integrations/sendgrid/verify': { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 },
        'POST /integrations/sendgrid/test': { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 },
      },
      AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('requestId') }),
    });
  });

  it('runs every function on Node.js 24, arm64, with a log group that expires', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    // One per route, the send function and the health check.
    expect(Object.keys(functions)).toHaveLength(API_ROUTES.length + 2);
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
    expect(withSendGrid.length).toBeGreaterThanOrEqual(API_ROUTES.length);
    for (const fn of withSendGrid) {
      expect(Number(fn.Properties.Environment.Variables.SENDGRID_TIMEOUT_MS)).toBeLessThan(
        fn.Properties.Timeout * 1000,
      );
    }
    const send = functions.find((fn) => fn.Properties.Environment?.Variables?.SEND_LEASE_MS);
    expect(Number(send?.Properties.Environment.Variables.SEND_LEASE_MS)).toBeGreaterThan(
      send?.Properties.Timeout * 1000,
    );
  });

  it('gives each function only what it needs', () => {
    expect(dataActions(roleOf('verify-sendgrid-key').actions)).toEqual([]);
    expect(dataActions(roleOf('get-sendgrid-integration').actions)).toEqual(['dynamodb:GetItem']);
    expect(dataActions(roleOf('delete-sendgrid-integration').actions)).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
    ]);
    expect(dataActions(roleOf('save-sendgrid-integration').actions)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'kms:GenerateDataKey',
    ]);
    expect(dataActions(roleOf('rotate-sendgrid-key').actions)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'kms:GenerateDataKey',
    ]);
    expect(dataActions(roleOf('update-sendgrid-senders').actions)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'kms:Decrypt',
    ]);
    expect(dataActions(roleOf('send-email').actions)).toEqual(
      expect.arrayContaining([
        'kms:Decrypt',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'sqs:ChangeMessageVisibility',
      ]),
    );
    expect(roleOf('send-email').actions).not.toContain('kms:GenerateDataKey');
    expect(roleOf('send-email').actions).not.toContain('dynamodb:DeleteItem');
  });

  it('re-verifies every integration daily with only Scan, PutItem and Decrypt, and alarms on failures', () => {
    expect(dataActions(roleOf('run-health-check').actions)).toEqual([
      'dynamodb:PutItem',
      'dynamodb:Scan',
      'kms:Decrypt',
    ]);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(15 3 * * ? *)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HealthCheckFailures' });
  });

  it('binds every KMS permission to the tenant encryption context', () => {
    const kmsStatements = ['save-sendgrid-integration', 'update-sendgrid-senders', 'send-email'].flatMap((handler) =>
      roleOf(handler).statements.filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('kms:')),
      ),
    );
    expect(kmsStatements.length).toBeGreaterThanOrEqual(3);
    for (const statement of kmsStatements) {
      expect(statement.Condition).toEqual({
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenantId', 'provider'] },
        Null: { 'kms:EncryptionContext:tenantId': 'false' },
      });
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
  });

  it('feeds the send function from EventBridge through SQS with a dead-letter queue and alarms', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['app.automations'], 'detail-type': ['Email Send Requested'] },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      VisibilityTimeout: 180,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EmailsDeliveryUnknown' });
  });

  it('lets the send function use SES only as the configured identities, and not at all by default', () => {
    expect(roleOf('send-email').actions.some((action) => action.startsWith('ses:'))).toBe(false);
    const withSes = Template.fromStack(
      new EmailIntegrationsStack(new App(), 'WithSes', { ...props, sesIdentityDomains: ['acme.example'] }),
    );
    const statements = Object.values(withSes.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    const sesStatements = statements.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('ses:')),
    );
    // Sending: the send function and the test send; reading identities: the health check and sender edits.
    expect(sesStatements.map((statement) => statement.Action).sort()).toEqual([
      'ses:GetEmailIdentity',
      'ses:GetEmailIdentity',
      'ses:ListTenantResources',
      'ses:ListTenantResources',
      'ses:SendEmail',
      'ses:SendEmail',
    ]);
    for (const statement of sesStatements) {
      expect(JSON.stringify(statement.Resource)).toContain(
        statement.Action === 'ses:ListTenantResources' ? ':tenant/*' : ':identity/acme.example',
      );
    }
  }, 60_000);

  it('exports the API URL, table and key for operators', () => {
    for (const output of ['ApiUrl', 'TableName', 'KeyArn', 'SendLedgerTableName']) {
      expect(Object.keys(template.findOutputs(output))).toEqual([output]);
    }
  });
});
