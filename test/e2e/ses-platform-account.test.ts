import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService({ sesVerificationDelayMs: 50 });
});
afterAll(() => service?.close());

function sandbox() {
  const ses = service.runtime.ses.ses;
  if (!ses) throw new Error('expected the embedded SES sandbox');
  return ses;
}

async function setSandboxed(sandboxed: boolean): Promise<void> {
  const answer = await fetch(`${sandbox().url}/__ses/account`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sandbox: sandboxed }),
  });
  expect(answer.status).toBe(200);
}

describe('the platform’s SES account on the card and the domain list', () => {
  it('answers GetAccount as the model says, and shows an account still in the SES sandbox as a warning, not hidden', async () => {
    const client = new SESv2Client({
      region: 'eu-west-1',
      endpoint: sandbox().url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(await client.send(new GetAccountCommand({}))).toMatchObject({
      ProductionAccessEnabled: true,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: expect.any(Number) },
    });

    // A tenant on SES.
    const tenant = 'sandboxed-account-tenant';
    const api = service.as(tenant);
    await api.call('POST', '/integrations/ses/domains', { domain: 'sandboxed.example' });
    await service.as(undefined).call('POST', '/local/ses/publish-records', { domain: 'sandboxed.example' });
    for (let attempt = 0; attempt < 100; attempt += 1) {
      await sandbox().checkNow();
      const checked = await api.call('POST', '/integrations/ses/domains/sandboxed.example/check');
      if (checked.body.status === 'verified') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await api.call('POST', '/integrations/ses/activate', { emails: ['info@sandboxed.example'] })).status).toBe(
      200,
    );
    expect((await api.card()).body.platformWarnings).toBeUndefined();

    await setSandboxed(true);
    expect((await client.send(new GetAccountCommand({}))).ProductionAccessEnabled).toBe(false);
    const card = await api.card();
    expect(card.body.platformWarnings).toEqual([
      { code: 'ses_account_sandbox', region: 'eu-west-1', detail: expect.stringContaining('SES sandbox') },
    ]);
    const list = await api.call('GET', '/integrations/ses/domains');
    expect(list.body.platformWarnings).toEqual([expect.objectContaining({ code: 'ses_account_sandbox' })]);

    await setSandboxed(false);
    expect((await api.card()).body.platformWarnings).toBeUndefined();
    expect((await api.call('GET', '/integrations/ses/domains')).body.platformWarnings).toBeUndefined();
    client.destroy();
  });
});
