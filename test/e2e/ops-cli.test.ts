import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTenantCommand,
  GetEmailIdentityCommand,
  ListResourceTenantsCommand,
  SESv2Client,
  UpdateReputationEntityPolicyCommand,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps, targetFrom } from '../../scripts/ops-cli.js';
import { type LocalService, startLocalService } from './local-service.js';

const ses = mockClient(SESv2Client);
let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
  process.env.SES_ACCOUNT_ID = '123456789012';
  await service.as('ops-a').save(service.sandbox.key('good').apiKey, ['info@acme.example']);
  await service.as('ops-b').save(service.sandbox.key('other-account').apiKey, ['info@globex.example']);
});
afterAll(() => service?.close());

/** Runs a command against the running local runtime's data, capturing what it prints. */
async function ops(args: string[], confirm?: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(
    args,
    {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      ...(confirm === undefined ? {} : { confirm: async () => confirm }),
    },
    async () =>
      targetFrom({
        tableName: service.runtime.dynamoDb.tables.integrations as string,
        dynamoEndpoint: service.runtime.dynamoDb.endpoint,
        keyringFile: join(service.dataDir, 'keyring.json'),
        sendGridUrls: { global: service.sandbox.globalUrl, eu: service.sandbox.euUrl },
        describe: 'test',
      }),
  );
  return { code, out: out.join(''), err: err.join('') };
}

describe('npm run ops', () => {
  it('lists integrations for people and for scripts, without any key', async () => {
    const human = await ops(['list']);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/^tenant\s+provider\s+region/m);
    expect(human.out).toContain('ops-a');
    const json = await ops(['list', '--json']);
    const cards = JSON.parse(json.out) as Array<{ tenantId: string; emails: string[] }>;
    expect(cards.find((card) => card.tenantId === 'ops-b')?.emails).toEqual(['info@globex.example']);
    expect(json.out).not.toContain(service.sandbox.key('good').apiKey.slice(26));
    expect(json.out).not.toContain('secret');
  });

  it('shows one integration, and says clearly when there is none', async () => {
    expect((await ops(['show', 'ops-a', '--json'])).out).toContain('"keyId"');
    const missing = await ops(['show', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('not_found');
  });

  it('asks before replacing senders, validates them like the API, then replaces them', async () => {
    const unasked = await ops(['set-senders', 'ops-a', 'noreply@acme.example']);
    expect(unasked.code).toBe(3);
    expect(unasked.err).toContain('--yes');
    expect((await ops(['set-senders', 'ops-a', 'noreply@acme.example'], false)).code).toBe(3);
    expect((await service.as('ops-a').card()).body.emails).toEqual(['info@acme.example']);

    const invalid = await ops(['set-senders', 'ops-a', 'not-an-address', '--yes']);
    expect(invalid.code).toBe(1);
    const unauthenticated = await ops(['set-senders', 'ops-a', 'x@old.acme.example', '--yes']);
    expect(unauthenticated.err).toContain('sender_not_authenticated');

    const done = await ops(['set-senders', 'ops-a', 'info@acme.example', 'noreply@acme.example'], true);
    expect(done.code).toBe(0);
    expect((await service.as('ops-a').card()).body.emails).toEqual(['info@acme.example', 'noreply@acme.example']);
  });

  it('re-verifies one tenant or all of them', async () => {
    expect(await ops(['verify', 'ops-a', '--json'])).toMatchObject({ code: 0 });
    const all = await ops(['verify', '--all', '--json']);
    expect(JSON.parse(all.out)).toMatchObject({ checked: 2, outcomes: { active: 2 } });
  });

  it('migrates a tenant to SES and back, after asking', async () => {
    // globex.example is verified in the platform's SES account and held by no SES tenant yet.
    ses.on(ListResourceTenantsCommand).resolves({ ResourceTenants: [] });
    ses.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' } });
    ses.on(CreateTenantCommand).resolves({ TenantArn: 'arn:aws:ses:eu-west-1:000000000000:tenant/ei-ops-b/tn-1' });
    ses.on(UpdateReputationEntityPolicyCommand).resolves({});
    expect((await ops(['migrate', 'ops-b', '--to', 'ses'])).code).toBe(2);
    const moved = await ops(['migrate', 'ops-b', '--to', 'ses', '--region', 'eu-west-1', '--yes']);
    expect(moved.out).toContain('Amazon SES (eu-west-1)');
    expect((await service.as('ops-b').card()).body).toMatchObject({ provider: 'ses', emails: ['info@globex.example'] });
    expect((await ops(['migrate', 'ops-b', '--to', 'sendgrid', '--yes'])).code).toBe(0);
    expect((await service.as('ops-b').card()).body).toMatchObject({
      provider: 'sendgrid',
      keyId: service.sandbox.key('other-account').keyId,
    });
  });

  it('runs as `npm run ops` on a local data folder', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ops-cli-'));
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/ops.ts', 'list', '--json', '--data-dir', dataDir],
      {
        encoding: 'utf8',
        env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' },
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
    const usage = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ops.ts'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stdout).toContain('migrate <tenant> --to ses');
  });
});
