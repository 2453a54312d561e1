import { spawnSync } from 'node:child_process';
import { promises as dnsPromises } from 'node:dns';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEmailIdentityCommand,
  GetAccountCommand,
  GetEmailIdentityCommand,
  ListTenantResourcesCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime } from '../../local/local-runtime.js';
import { startLocalSes } from '../../local/ses-sandbox/local-ses.js';
import { apiClient } from './local-service.js';

const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const dataDir = mkdtempSync(join(tmpdir(), 'email-integrations-ses-'));
let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
let closed = false;

beforeAll(async () => {
  runtime = await startLocalRuntime({ dataDir, port: 0, tenantClaim: 'tenant_id', sesVerificationDelayMs: 100 });
});
afterAll(async () => {
  if (!closed) await runtime?.close();
});

async function control(method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${runtime.ses.ses?.url}/__ses${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function verified(client: SESv2Client, domain: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
    if (identity.VerificationStatus === 'SUCCESS') return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('local runtime with SES', () => {
  it('points the service at the SES sandbox and the local DNS server through the standard variables', async () => {
    const ses = runtime.ses.ses;
    expect(ses).toBeDefined();
    expect(process.env.AWS_ENDPOINT_URL_SESV2).toBe(ses?.url);
    expect(process.env.DNS_RESOLVERS).toBe(runtime.ses.dns.address);
    expect(process.env.SES_ACCOUNT_ID).toBe(ses?.accountId);

    // A client built as the service builds it (no endpoint in code) reaches the sandbox.
    const client = new SESv2Client({ region: REGION, credentials });
    expect(await client.send(new GetAccountCommand({}))).toMatchObject({ ProductionAccessEnabled: true });
    client.destroy();

    // Node's resolver pointed at DNS_RESOLVERS sees what the control API publishes.
    expect(await control('POST', '/dns', { type: 'TXT', name: '_dmarc.acme.example', value: 'v=DMARC1; p=none' })).toBe(
      201,
    );
    const resolver = new dnsPromises.Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers((process.env.DNS_RESOLVERS ?? '').split(','));
    expect(await resolver.resolveTxt('_dmarc.acme.example')).toEqual([['v=DMARC1; p=none']]);
  });

  it('keeps the SES sandbox state in the data folder across restarts', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'email-integrations-ses-state-'));
    const env: NodeJS.ProcessEnv = {};
    const first = await startLocalSes({ dataDir: folder, verificationDelayMs: 50, checkIntervalMs: 50, env });
    const client = new SESv2Client({ region: REGION, endpoint: first.ses?.url, credentials });
    await client.send(new CreateEmailIdentityCommand({ EmailIdentity: 'kept.example' }));
    for (const record of first.ses?.recordsFor(REGION, 'kept.example') ?? []) first.ses?.publish(record);
    expect(await verified(client, 'kept.example')).toBe(true);
    client.destroy();
    await first.close();
    expect(env).toEqual({});

    const second = await startLocalSes({ dataDir: folder, env });
    const again = new SESv2Client({ region: REGION, endpoint: second.ses?.url, credentials });
    const identity = await again.send(new GetEmailIdentityCommand({ EmailIdentity: 'kept.example' }));
    again.destroy();
    await second.close();
    expect(identity).toMatchObject({ VerificationStatus: 'SUCCESS', VerifiedForSendingStatus: true });
  });

  it('runs npm run ops -- migrate --to ses on the local data, against the SES sandbox', async () => {
    // A tenant on SendGrid with a sender at acme.example, and acme.example verified in the SES sandbox.
    const api = apiClient(runtime.url, 'ops-ses');
    const key = runtime.sandbox?.key('good').apiKey as string;
    expect((await api.save(key, ['info@acme.example'])).status).toBe(201);
    const client = new SESv2Client({ region: REGION, credentials });
    await client.send(new CreateEmailIdentityCommand({ EmailIdentity: 'acme.example' }));
    expect(await control('POST', '/dns/identities/acme.example')).toBe(201);
    expect(await verified(client, 'acme.example')).toBe(true);
    client.destroy();
    // ops works on the data folder while nothing else has it open (LevelDB allows one process).
    await runtime.close();
    closed = true;
    expect(process.env.AWS_ENDPOINT_URL_SESV2).toBeUndefined();

    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/ops.ts',
        'migrate',
        'ops-ses',
        '--to',
        'ses',
        '--region',
        REGION,
        '--yes',
        '--data-dir',
        dataDir,
      ],
      { encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' } },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('now sends through Amazon SES (eu-west-1)');

    // The SES tenant and its association are in the sandbox state the next npm start sees.
    const env: NodeJS.ProcessEnv = {};
    const after = await startLocalSes({ dataDir, env });
    const check = new SESv2Client({ region: REGION, endpoint: after.ses?.url, credentials });
    const resources = await check.send(new ListTenantResourcesCommand({ TenantName: 'ei-ops-ses' }));
    check.destroy();
    await after.close();
    expect(resources.TenantResources).toContainEqual({
      ResourceType: 'EMAIL_IDENTITY',
      ResourceArn: `arn:aws:ses:${REGION}:${after.ses?.accountId}:identity/acme.example`,
    });
  });
});
