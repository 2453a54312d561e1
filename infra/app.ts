import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseSendMaxConcurrency } from './constructs/send-pipeline.js';
import { EmailIntegrationsStack } from './email-integrations-stack.js';

/** Reads a context value, failing synth with a clear message when it is missing. */
function context<T>(app: App, key: string): T {
  const value = app.node.tryGetContext(key) as T | undefined;
  if (value === undefined || value === '')
    throw new Error(`Missing CDK context "${key}" (set it in cdk.json or with -c ${key}=…).`);
  return value;
}

/** Context given on the command line arrives as a string; lists may be JSON. */
function list(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  return value.trim().startsWith('[') ? (JSON.parse(value) as string[]) : value.split(',').map((item) => item.trim());
}

/** A list context value that may be left empty. */
function optionalList(app: App, key: string): string[] {
  const value = app.node.tryGetContext(key) as string[] | string | undefined;
  return value === undefined || value === '' ? [] : list(value);
}

const app = new App();
const stage = context<string>(app, 'stage');
new EmailIntegrationsStack(app, `email-integrations-${stage}`, {
  stage,
  jwtIssuer: context<string>(app, 'jwtIssuer'),
  jwtAudience: list(context<string[] | string>(app, 'jwtAudience')),
  tenantClaim: context<string>(app, 'tenantClaim'),
  corsOrigins: list(context<string[] | string>(app, 'corsOrigins')),
  eventSource: context<string>(app, 'eventSource'),
  sesRegions: optionalList(app, 'sesRegions'),
  sendPublisherPrincipals: optionalList(app, 'sendPublisherPrincipals'),
  operatorRoleArns: optionalList(app, 'operatorRoleArns'),
  sendMaxConcurrency: parseSendMaxConcurrency(app.node.tryGetContext('sendMaxConcurrency')),
  description: 'email-integrations: tenants’ own SendGrid accounts — verify, store, rotate, send',
});
// cdk-nag's AWS Solutions checks run on every synth; an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
