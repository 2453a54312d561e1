import {
  CreateEmailIdentityCommand,
  GetEmailIdentityCommand,
  GetTenantCommand,
  ListTenantResourcesCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsOnLocalService } from './local-ops.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
let ses: SESv2Client;

beforeAll(async () => {
  service = await startLocalService({ sesVerificationDelayMs: 50 });
  const sandbox = service.runtime.ses.ses;
  if (!sandbox) throw new Error('expected the embedded SES sandbox');
  ses = new SESv2Client({
    region: 'eu-west-1',
    endpoint: sandbox.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(() => service?.close());

/** Runs `npm run ops` against the running local runtime's data, with its SES sandbox. */
function ops(args: string[]) {
  return opsOnLocalService(service, args);
}

describe('npm run ops -- migrate against the local SES sandbox', () => {
  it('sets the SES tenant up with the onboarding steps: tenant-level suppression, standard policy, configuration set', async () => {
    const sandbox = service.runtime.ses.ses;
    if (!sandbox) throw new Error('expected the embedded SES sandbox');
    await service.as('migrating').save(service.sandbox.key('good').apiKey, ['info@acme.example']);
    // An operator verified acme.example by hand in the platform's SES account.
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'acme.example' }));
    for (const record of sandbox.recordsFor('eu-west-1', 'acme.example')) sandbox.publish(record);
    for (let attempt = 0; attempt < 50; attempt += 1) {
      await sandbox.checkNow();
      const identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'acme.example' }));
      if (identity.VerifiedForSendingStatus) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const moved = await ops(['migrate', 'migrating', '--to', 'ses', '--region', 'eu-west-1', '--yes']);

    expect(moved.code, moved.err).toBe(0);
    const tenant = (await ses.send(new GetTenantCommand({ TenantName: 'ei-migrating' }))).Tenant;
    expect(tenant?.SuppressionAttributes).toEqual({
      SuppressedReasons: ['BOUNCE', 'COMPLAINT'],
      SuppressionScope: 'TENANT',
    });
    const resources = await ses.send(new ListTenantResourcesCommand({ TenantName: 'ei-migrating' }));
    expect(resources.TenantResources?.map((resource) => resource.ResourceType).sort()).toEqual([
      'CONFIGURATION_SET',
      'EMAIL_IDENTITY',
    ]);
    expect((await service.as('migrating').card()).body).toMatchObject({ provider: 'ses', keyId: 'ei-migrating' });
  });
});
