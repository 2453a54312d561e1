import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmailIntegrationsStack } from '../../infra/email-integrations-stack.js';
import type { FunctionName } from '../../infra/function-access.js';

const ACCOUNT = '123456789012';

/** A CloudFormation value as a deployed function would see it: references become plausible strings. */
function deployed(value: unknown): string {
  if (typeof value === 'string') return value;
  const token = value as Record<string, unknown>;
  if (token.Ref === 'AWS::AccountId') return ACCOUNT;
  if (token.Ref === 'AWS::Region') return 'eu-central-1';
  if (token.Ref === 'AWS::Partition') return 'aws';
  if (token.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  if (typeof token.Ref === 'string') return `deployed-${token.Ref}`;
  if (Array.isArray(token['Fn::GetAtt']) && token['Fn::GetAtt'][1] === 'ApiEndpoint') {
    return `https://${String(token['Fn::GetAtt'][0]).toLowerCase()}.execute-api.eu-central-1.amazonaws.com`;
  }
  if (Array.isArray(token['Fn::GetAtt'])) return `arn:aws:service:eu-central-1:${ACCOUNT}:${token['Fn::GetAtt'][0]}`;
  if (Array.isArray(token['Fn::Join'])) {
    const [separator, parts] = token['Fn::Join'] as [string, unknown[]];
    return parts.map(deployed).join(separator);
  }
  throw new Error(`no deployed value for ${JSON.stringify(value)}`);
}

let environments: Map<FunctionName, Record<string, string>>;

beforeAll(() => {
  // sesRegions names the stack's region, as a deployment that pins it does.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new EmailIntegrationsStack(app, 'EmailIntegrations', {
    stage: 'test',
    jwtIssuer: 'https://auth.example.com/',
    jwtAudience: ['email-integrations'],
    tenantClaim: 'custom:tenant_id',
    corsOrigins: ['https://console.example.com'],
    eventSource: 'app.automations',
    sesRegions: ['eu-central-1'],
  });
  const resources = Template.fromStack(stack).toJSON().Resources;
  environments = new Map(
    [...stack.functions].map(([name, service]) => {
      const fn = resources[stack.getLogicalId(service.function.node.defaultChild as CfnElement)];
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      return [name, Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, deployed(value)]))];
    }),
  );
}, 240_000);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the stack’s function environments', () => {
  it('start every function with exactly the environment the stack gives it', async () => {
    const everyVariable = new Set([...environments.values()].flatMap((env) => Object.keys(env)));
    for (const [name, env] of environments) {
      vi.resetModules();
      // Nothing but what the stack sets: a variable another function gets is blank here.
      for (const variable of everyVariable) vi.stubEnv(variable, '');
      for (const variable of ['LOCAL_KEYRING_FILE', 'DYNAMODB_ENDPOINT']) vi.stubEnv(variable, '');
      for (const [variable, value] of Object.entries(env)) vi.stubEnv(variable, value);
      const started = await import(`../../functions/${name}.ts`).then(
        (module: { handler?: unknown }) => typeof module.handler,
        (error: unknown) => `fails: ${String(error)}`,
      );
      expect({ name, started }).toEqual({ name, started: 'function' });
    }
  }, 240_000);
});
