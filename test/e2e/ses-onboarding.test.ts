import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SesSandbox, startSesSandbox } from '../../local/ses-sandbox/index.js';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';

let sandbox: SesSandbox;
let provider: SesProvider;

beforeAll(async () => {
  sandbox = await startSesSandbox({ accountId: '123456789012' });
  provider = new SesProvider({
    accountId: sandbox.accountId,
    clientFor: (region) =>
      new SESv2Client({
        region,
        endpoint: sandbox.url,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      }),
  });
});
afterAll(() => sandbox?.close());

describe('SES domain onboarding against the SES sandbox (requests judged by the SESv2 model)', () => {
  it('onboards a domain, resumes it unchanged, and refuses it to a second tenant', async () => {
    const first = await provider.onboarding.start({ region: 'eu-west-1', tenantId: 'tenant-a' }, 'acme.example');
    const again = await provider.onboarding.start({ region: 'eu-west-1', tenantId: 'tenant-a' }, 'acme.example');

    expect(first.status).toBe('pending');
    expect(first.records.filter((record) => record.purpose === 'dkim')).toHaveLength(3);
    expect(again).toEqual(first);
    expect(await provider.senderDomains({ region: 'eu-west-1', tenantId: 'tenant-a' })).toEqual([
      { domain: 'acme.example', valid: false },
    ]);
    await expect(
      provider.onboarding.start({ region: 'eu-west-1', tenantId: 'tenant-b' }, 'acme.example'),
    ).rejects.toMatchObject({ code: 'domain_unavailable' });
    expect(await provider.onboarding.status({ region: 'eu-west-1', tenantId: 'tenant-b' }, 'acme.example')).toBe(
      undefined,
    );
  });
});
