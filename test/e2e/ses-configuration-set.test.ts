import { join } from 'node:path';
import { CreateEmailIdentityCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerRegistry } from '../../shared/composition/providers.js';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { IntegrationRepository } from '../../shared/integrations/integration-repository.js';
import { moveToSes } from '../../shared/integrations/provider-migration.js';
import { type LocalService, startLocalService } from './local-service.js';

const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let service: LocalService;

beforeAll(async () => {
  service = await startLocalService({ sesVerificationDelayMs: 100 });
});
afterAll(() => service?.close());

/** The SES sandbox the runtime started. */
function sandbox() {
  const ses = service.runtime.ses.ses;
  if (!ses) throw new Error('expected the embedded SES sandbox');
  return ses;
}

/** Publishes an automation's send event on the local bus; answers the entry's outcome. */
async function publish(detail: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: [{ Source: 'app.automations', DetailType: 'Email Send Requested', Detail: JSON.stringify(detail) }],
  });
  expect(answer.status).toBe(200);
  return (answer.body as { Entries: Array<Record<string, unknown>> }).Entries[0] ?? {};
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the SES configuration set', () => {
  it('is named with the tenant on every send of a tenant moved to SES, and SES publishes the send', async () => {
    const tenant = 'moved-to-ses';
    const key = service.sandbox.key('good').apiKey;
    expect((await service.as(tenant).save(key, ['info@news.acme.example'])).status).toBe(201);
    const client = new SESv2Client({ region: REGION, credentials });
    await client.send(new CreateEmailIdentityCommand({ EmailIdentity: 'news.acme.example' }));
    for (const record of sandbox().recordsFor(REGION, 'news.acme.example')) sandbox().publish(record);
    await until(async () => {
      await sandbox().checkNow();
      const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: 'news.acme.example' }));
      return identity.VerifiedForSendingStatus === true;
    }, 'news.acme.example to verify');
    client.destroy();

    const repository = new IntegrationRepository({
      tableName: service.runtime.dynamoDb.tables.integrations as string,
      clientConfig: { endpoint: service.runtime.dynamoDb.endpoint, region: 'eu-central-1' },
    });
    const cipher = new EnvelopeCipher(LocalKeyring.fromFile(join(service.dataDir, 'keyring.json')));
    await moveToSes({ repository, cipher, providers: providerRegistry() }, tenant, { region: REGION });

    const outcome = await publish({
      tenantId: tenant,
      messageId: 'ses-config-set-1',
      audience: 'customer',
      to: [{ email: 'jane@customer.example' }],
      subject: 'Hello',
      text: 'Hi',
    });
    expect(outcome).toMatchObject({ outcome: 'sent' });
    const sent = sandbox()
      .messages()
      .find((message) => message.messageId === outcome.providerMessageId);
    expect(sent).toMatchObject({
      from: 'info@news.acme.example',
      tenantName: 'ei-moved-to-ses',
      configurationSetName: 'email-integrations',
    });
    expect(
      sandbox()
        .events()
        .some(
          (event) =>
            event['detail-type'] === 'Email Sent' &&
            JSON.stringify(event.detail).includes(String(outcome.providerMessageId)),
        ),
    ).toBe(true);
  });
});
