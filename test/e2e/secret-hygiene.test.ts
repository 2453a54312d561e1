import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

/** Every 8-character window of the key's secret part: "no part of the secret" made testable. */
function secretFragments(apiKey: string): string[] {
  const secret = apiKey.slice(apiKey.lastIndexOf('.') + 1);
  return Array.from({ length: secret.length - 7 }, (_, index) => secret.slice(index, index + 8));
}

describe('secret hygiene over the whole flow', () => {
  let service: LocalService;
  const captured: string[] = [];
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);

  beforeAll(async () => {
    // Capture everything the handlers log, from their first line on.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      captured.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      captured.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    service = await startLocalService({ sendGridTimeoutMs: 500 });
  });

  afterAll(async () => {
    process.stdout.write = originalStdout;
    process.stderr.write = originalStderr;
    await service?.close();
  });

  it('never shows a key in a log line, a response or a stored item', async () => {
    const keys = ['good', 'good-second', 'revoked', 'full-access', 'missing-mail-send'].map(
      (name) => service.sandbox.key(name).apiKey,
    );
    const [good, second, revoked, fullAccess, missingMailSend] = keys as [string, string, string, string, string];
    const client = service.as('hygiene-tenant');
    const responses: string[] = [];
    const record = async (answer: Promise<{ text: string; status: number }>) => {
      const settled = await answer;
      responses.push(settled.text);
      return settled;
    };

    await record(client.verify(good));
    await record(client.verify(`  ${revoked}  `));
    await record(client.verify(fullAccess));
    await record(client.save(missingMailSend, ['info@acme.example']));
    await record(client.save(good, ['info@acme.example', 'noreply@acme.example']));
    await record(client.save(good, ['x@gmail.example']));
    await record(client.call('PUT', '/integrations/sendgrid', `{"apiKey":"${good}", "emails": [1]}`));
    await record(client.call('PUT', '/integrations/sendgrid', `{"apiKey":"${good}"`));
    await record(client.call('POST', '/integrations/sendgrid/verify', { apiKey: `${good}x` }));
    service.sandbox.injectFault({ path: '/v3/scopes', status: 500, times: 1 });
    await record(client.verify(good));
    service.sandbox.injectFault({ path: '/v3/scopes', kind: 'reset', times: 1 });
    await record(client.rotate(second));
    service.sandbox.injectFault({ path: '/v3/scopes', delayMs: 1_500, times: 1 });
    await record(client.rotate(second));
    await record(client.rotate(second));
    await record(client.editEmails(['noreply@acme.example', 'info@acme.example']));
    await record(client.card());

    // The send path: a test send, events that are sent, refused, retried and cut off.
    await record(client.call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example', sandbox: true }));
    const event = (messageId: string, extra: Record<string, unknown> = {}) => ({
      Source: 'app.automations',
      DetailType: 'Email Send Requested',
      Detail: JSON.stringify({
        tenantId: 'hygiene-tenant',
        messageId,
        audience: 'customer',
        to: [{ email: 'jane@customer.example' }],
        subject: 'Hello',
        text: 'Hi',
        ...extra,
      }),
    });
    process.env.LOCAL_QUEUE_MAX_DELAY_MS = '10';
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 500, times: 1 });
    await record(
      client.call('POST', '/local/events', { Entries: [event('h-1'), event('h-2', { from: 'nobody@acme.example' })] }),
    );
    service.sandbox.injectFault({ path: '/v3/mail/send', kind: 'reset', times: 1 });
    await record(client.call('POST', '/local/events', { Entries: [event('h-3')] }));
    service.sandbox.revokeKey(service.sandbox.key('good-second').keyId);
    await record(client.call('POST', '/local/events', { Entries: [event('h-4')] }));
    await record(client.call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example' }));
    await record(client.card());

    const documents = service.documents();
    const { Items } = await documents.send(
      new ScanCommand({ TableName: service.runtime.dynamoDb.tables.integrations }),
    );
    const ledger = await documents.send(new ScanCommand({ TableName: service.runtime.dynamoDb.tables.sendLedger }));
    const stored = JSON.stringify([Items, ledger.Items]);
    expect(Items).toHaveLength(1);
    expect(ledger.Items?.length).toBeGreaterThanOrEqual(4);
    await record(client.remove());

    const logs = captured.join('');
    expect(logs).toContain('request refused');
    expect(logs).toContain('send failed permanently');
    for (const apiKey of keys) {
      for (const fragment of secretFragments(apiKey)) {
        expect(logs).not.toContain(fragment);
        expect(responses.join('\n')).not.toContain(fragment);
        expect(stored).not.toContain(fragment);
      }
    }
  });
});
