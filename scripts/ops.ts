import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LOCAL_AWS_ENVIRONMENT, serviceTables, startLocalDynamoDb } from '../local/dynamodb-local.js';
import { startSendGridSandbox } from '../local/sendgrid-sandbox/index.js';
import { startLocalSes } from '../local/ses-sandbox/local-ses.js';
import { askOnTerminal, type OpsTarget, runOps, targetFrom } from './ops-cli.js';
import { openLimitsTarget } from './ops-limits.js';
import { openRedriveTarget } from './ops-redrive.js';

/** `npm run ops -- <command>`: the operator CLI (see scripts/ops-cli.ts and the README). */
async function openTarget(values: Record<string, unknown>): Promise<OpsTarget> {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const stack = text('stack');
  if (stack) {
    const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }));
    const outputs = Object.fromEntries(
      (Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
    );
    if (!outputs.TableName || !outputs.KeyArn) throw new Error(`Stack ${stack} has no TableName/KeyArn outputs.`);
    return targetFrom({
      tableName: outputs.TableName,
      kmsKeyArn: outputs.KeyArn,
      // Card changes are announced on the service bus, as the service's own writers do.
      ...(outputs.EventBusName ? { busName: outputs.EventBusName } : {}),
      describe: `stack ${stack}`,
    });
  }
  const table = text('table');
  // --bus: the service bus to announce card changes on (AWS_ENDPOINT_URL_EVENTBRIDGE points it at a local one).
  const bus = text('bus') ? { busName: text('bus') } : {};
  if (table && text('key-arn'))
    return targetFrom({ tableName: table, kmsKeyArn: text('key-arn'), ...bus, describe: `table ${table}` });
  if (table && text('endpoint')) {
    Object.assign(process.env, { ...LOCAL_AWS_ENVIRONMENT, ...process.env });
    return targetFrom({
      tableName: table,
      dynamoEndpoint: text('endpoint'),
      keyringFile: text('keyring'),
      sendGridUrls: { global: process.env.SENDGRID_API_BASE_URL, eu: process.env.SENDGRID_EU_API_BASE_URL },
      ...bus,
      describe: `local DynamoDB at ${text('endpoint')}`,
    });
  }
  // The local runtime's data: its own dynalite on the folder, a SendGrid sandbox for verify, and
  // the SES sandbox on the folder's SES state (identities, tenants) unless AWS_ENDPOINT_URL_SESV2 is set.
  Object.assign(process.env, LOCAL_AWS_ENVIRONMENT);
  const dataDir = resolve(text('data-dir') ?? process.env.DATA_DIR ?? '.local-data');
  const dynamo = await startLocalDynamoDb({
    dataDir,
    tables: serviceTables(),
  });
  const sandbox = process.env.SENDGRID_API_BASE_URL ? undefined : await startSendGridSandbox();
  const ses = await startLocalSes({ dataDir });
  return targetFrom({
    tableName: dynamo.tables.integrations as string,
    dynamoEndpoint: dynamo.endpoint,
    keyringFile: resolve(dataDir, 'keyring.json'),
    sendGridUrls: sandbox
      ? { global: sandbox.globalUrl, eu: sandbox.euUrl }
      : { global: process.env.SENDGRID_API_BASE_URL, eu: process.env.SENDGRID_EU_API_BASE_URL },
    ...bus,
    describe: `local data in ${dataDir}`,
    close: async () => {
      await sandbox?.close();
      await ses.close();
      await dynamo.close();
    },
  });
}

process.exitCode = await runOps(
  process.argv.slice(2),
  {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    ...(process.stdin.isTTY ? { confirm: askOnTerminal } : {}),
  },
  openTarget,
  openRedriveTarget,
  openLimitsTarget,
).catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  return 1;
});
