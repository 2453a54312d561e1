import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiAnswer, type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
let tenantCount = 0;

beforeAll(async () => {
  service = await startLocalService();
});
afterAll(() => service?.close());

const key = (name: string) => service.sandbox.key(name).apiKey;
const freshTenant = () => `product-${++tenantCount}`;
const senders = ['info@acme.example', 'noreply@acme.example'];
const sandboxMessages = () => service.sandbox.messages().length;

function expectProblem(answer: ApiAnswer, status: number, code: string): void {
  expect(answer.contentType).toBe('application/problem+json');
  expect(answer.body).toMatchObject({ status, code });
}

describe('conditional requests (ETag, If-Match, If-None-Match)', () => {
  it('gives every card answer an ETag that changes with each write, and 304 for a current If-None-Match', async () => {
    const client = service.as(freshTenant());
    const saved = await client.save(key('good'), senders);
    const etag = saved.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);

    const card = await client.card();
    expect(card.headers.get('etag')).toBe(etag);
    const unchanged = await client.call('GET', '/integrations/sendgrid', undefined, { 'if-none-match': etag ?? '' });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');

    const edited = await client.editEmails(['info@acme.example']);
    expect(edited.headers.get('etag')).not.toBe(etag);
  });

  it('refuses rotate, edit, replace and delete with a stale If-Match (412), changing nothing', async () => {
    const client = service.as(freshTenant());
    const stale = (await client.save(key('good'), senders)).headers.get('etag') ?? '';
    const current = await client.editEmails(['info@acme.example']);
    const ifMatch = { 'if-match': stale };

    const answers = [
      await client.call('POST', '/integrations/sendgrid/rotate', { apiKey: key('good-second') }, ifMatch),
      await client.call('PUT', '/integrations/sendgrid/emails', { emails: senders }, ifMatch),
      await client.call('PUT', '/integrations/sendgrid', { apiKey: key('good-second'), emails: senders }, ifMatch),
      await client.call('DELETE', '/integrations/sendgrid', undefined, ifMatch),
    ];

    for (const answer of answers) expectProblem(answer, 412, 'precondition_failed');
    expect((await client.card()).body).toEqual(current.body);
  });

  it('acts when If-Match carries the current ETag', async () => {
    const client = service.as(freshTenant());
    let etag = (await client.save(key('good'), senders)).headers.get('etag') ?? '';

    const rotated = await client.call(
      'POST',
      '/integrations/sendgrid/rotate',
      { apiKey: key('good-second') },
      { 'if-match': etag },
    );
    expect(rotated.status).toBe(200);
    etag = rotated.headers.get('etag') ?? '';
    const edited = await client.call('PUT', '/integrations/sendgrid/emails', { emails: senders }, { 'if-match': etag });
    expect(edited.status).toBe(200);
    etag = edited.headers.get('etag') ?? '';
    const deleted = await client.call('DELETE', '/integrations/sendgrid', undefined, { 'if-match': etag });
    expect(deleted.status).toBe(204);
  });

  it('creates with If-None-Match: * once; a second window saving the same way gets 412, not a silent replace', async () => {
    const client = service.as(freshTenant());
    const first = await client.call(
      'PUT',
      '/integrations/sendgrid',
      { apiKey: key('good'), emails: senders },
      { 'if-none-match': '*' },
    );
    expect(first.status).toBe(201);

    const second = await client.call(
      'PUT',
      '/integrations/sendgrid',
      { apiKey: key('other-account'), emails: ['info@globex.example'] },
      { 'if-none-match': '*' },
    );

    expectProblem(second, 412, 'precondition_failed');
    expect((await client.card()).body).toEqual(first.body);
  });

  it('answers requests without the headers as before', async () => {
    const client = service.as(freshTenant());
    expect((await client.save(key('good'), senders)).status).toBe(201);
    expect((await client.save(key('good-second'), senders)).status).toBe(200);
    expect((await client.rotate(key('good'))).status).toBe(200);
    expect((await client.editEmails(['info@acme.example'])).status).toBe(200);
    expect((await client.remove()).status).toBe(204);
    expectProblem(await client.remove(), 404, 'not_found');
  });
});

describe('Idempotency-Key', () => {
  it('sends one test email for a repeated test send, answering the first result', async () => {
    const client = service.as(freshTenant());
    await client.save(key('good'), senders);
    const before = sandboxMessages();
    const send = () =>
      client.call(
        'POST',
        '/integrations/sendgrid/test',
        { to: 'me@customer.example', sandbox: true },
        { 'idempotency-key': 'test-once-1' },
      );

    const first = await send();
    const repeat = await send();

    expect(first.status).toBe(200);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(sandboxMessages()).toBe(before + 1);
  });

  it('saves once for a repeated save, and refuses the key for a different body (422)', async () => {
    const client = service.as(freshTenant());
    const save = (emails: string[]) =>
      client.call('PUT', '/integrations/sendgrid', { apiKey: key('good'), emails }, { 'idempotency-key': 'save-1' });

    const first = await save(senders);
    const repeat = await save(senders);
    const other = await save(['info@acme.example']);

    expect(first.status).toBe(201);
    expect(repeat.status).toBe(201);
    expect(repeat.body).toEqual(first.body);
    expect((await client.card()).body).toMatchObject({ keyVersion: 1, revision: 1 });
    expectProblem(other, 422, 'idempotency_key_reused');
  });

  it('keeps the same key apart per tenant', async () => {
    const a = service.as(freshTenant());
    const b = service.as(freshTenant());
    const headers = { 'idempotency-key': 'shared-key' };
    const body = { apiKey: key('good'), emails: senders };

    expect((await a.call('PUT', '/integrations/sendgrid', body, headers)).status).toBe(201);
    expect((await b.call('PUT', '/integrations/sendgrid', body, headers)).status).toBe(201);
    expect((await b.card()).status).toBe(200);
  });
});

describe('the language of problems and labels', () => {
  it('writes title and detail in German for Accept-Language: de, with the same code', async () => {
    const client = service.as(freshTenant());
    const english = await client.verify(key('missing-whitelabel-read'));
    const german = await client.call(
      'POST',
      '/integrations/sendgrid/verify',
      { apiKey: key('missing-whitelabel-read') },
      { 'accept-language': 'de-DE,de;q=0.9' },
    );

    expect(english.headers.get('content-language')).toBe('en');
    expect(german.headers.get('content-language')).toBe('de');
    expect(german.body.code).toBe(english.body.code);
    expect(german.body).toMatchObject({
      code: 'missing_scopes',
      title: 'Dem Schlüssel fehlen Berechtigungen',
      detail: expect.stringContaining('Sender Authentication → Read Access'),
    });
    expect(String(german.body.detail)).toMatch(/^Dem Schlüssel fehlt/);
    expect(german.body.missingScopes).toEqual(english.body.missingScopes);
  });

  it('labels the card’s status in the asked language', async () => {
    const client = service.as(freshTenant());
    await client.save(key('good'), senders);

    const german = await client.call('GET', '/integrations/sendgrid', undefined, { 'accept-language': 'de' });

    expect(german.body).toMatchObject({
      status: 'active',
      statusLabel: 'Funktioniert: E-Mails werden gesendet',
      statusNextStep: null,
    });
    expect(german.headers.get('content-language')).toBe('de');
  });
});

describe('rotation mistakes', () => {
  it('answers 409 same_key for the key already stored, without bumping the version', async () => {
    const client = service.as(freshTenant());
    const saved = await client.save(key('good'), senders);

    const again = await client.rotate(key('good'));

    expectProblem(again, 409, 'same_key');
    expect((await client.card()).body).toEqual(saved.body);
  });

  it('answers 422 different_account, with the fix, for another account’s key', async () => {
    const client = service.as(freshTenant());
    const saved = await client.save(key('good'), senders);

    const other = await client.rotate(key('other-account'));

    expectProblem(other, 422, 'different_account');
    expect(String(other.body.detail)).toContain('seems to belong to another SendGrid account');
    expect(other.body).toMatchObject({ emails: senders, authenticatedDomains: ['globex.example'] });
    expect((await client.card()).body).toEqual(saved.body);
  });
});
