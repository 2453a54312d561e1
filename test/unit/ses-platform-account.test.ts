import { GetAccountCommand, SESv2Client, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SesProvider } from '../../shared/providers/ses/ses-provider.js';
import { platformWarnings } from '../../shared/ses-domains/platform-warnings.js';

const ses = mockClient(SESv2Client);
const account = () => new SesProvider({ accountId: '123456789012' }).platformAccount;

beforeEach(() => ses.reset());

describe('platformWarnings', () => {
  it('warns when the platform’s SES account is still in the SES sandbox, in the request’s language', async () => {
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendingEnabled: true });

    const warnings = await platformWarnings(account(), ['eu-west-1'], 'en');
    const german = await platformWarnings(account(), ['eu-west-1'], 'de');

    expect(warnings).toEqual([
      { code: 'ses_account_sandbox', region: 'eu-west-1', detail: expect.stringContaining('SES sandbox in eu-west-1') },
    ]);
    expect(german[0]?.detail).toContain('SES-Sandbox');
  });

  it('warns when SES paused the whole account, and says nothing for an account in production', async () => {
    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: false });
    expect((await platformWarnings(account(), ['eu-west-1'], 'en')).map((warning) => warning.code)).toEqual([
      'ses_account_sending_paused',
    ]);

    ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendingEnabled: true });
    expect(await platformWarnings(account(), ['eu-west-1'], 'en')).toEqual([]);
  });

  it('adds no warning and does not fail when SES cannot be asked', async () => {
    ses.on(GetAccountCommand).rejects(new TooManyRequestsException({ message: 'slow down', $metadata: {} }));
    const errors: unknown[] = [];

    expect(await platformWarnings(account(), ['eu-west-1'], 'en', (error) => errors.push(error))).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});
