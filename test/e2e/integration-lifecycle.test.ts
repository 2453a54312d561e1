import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
let tenantCounter = 0;
/** A tenant id no other test uses, so tests do not depend on each other's data. */
const freshTenant = () => `tenant-${process.pid}-${++tenantCounter}`;
const key = (name: string) => service.sandbox.key(name).apiKey;

beforeAll(async () => {
  service = await startLocalService({ sendGridTimeoutMs: 1_000 });
});
afterAll(async () => {
  await service?.close();
});
beforeEach(() => {
  service.sandbox.clearFaults();
});

function expectProblem(
  answer: { status: number; contentType: string | null; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(answer.contentType).toBe('application/problem+json');
  expect(answer.body).toMatchObject({ status, code, type: `urn:email-integrations:problem:${code}` });
  expect(String(answer.body.detail).length).toBeGreaterThan(20);
}

describe('POST /integrations/sendgrid/verify', () => {
  it('verifies the good demo key and lists the senders it allows', async () => {
    const answer = await service.as(freshTenant()).verify(key('good'));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      provider: 'sendgrid',
      region: 'global',
      keyId: service.sandbox.key('good').keyId,
      scopes: { required: ['mail.send', 'whitelabel.read'] },
    });
    expect(answer.body.domains).toEqual(
      expect.arrayContaining([
        { domain: 'acme.example', valid: true },
        { domain: 'news.acme.example', valid: true },
        { domain: 'old.acme.example', valid: false },
      ]),
    );
    expect(answer.body.senders).toEqual([
      { email: 'info@acme.example', domain: 'acme.example', source: 'suggested' },
      { email: 'noreply@acme.example', domain: 'acme.example', source: 'suggested' },
      { email: 'info@news.acme.example', domain: 'news.acme.example', source: 'suggested' },
      { email: 'noreply@news.acme.example', domain: 'news.acme.example', source: 'suggested' },
    ]);
    expect(answer.text).not.toContain(key('good').slice(26));
  });

  it('trims whitespace around a pasted key', async () => {
    const answer = await service.as(freshTenant()).verify(`\n  ${key('good')}  \t`);

    expect(answer.status).toBe(200);
  });

  it('offers verified single senders at authenticated domains when the key may read them', async () => {
    const answer = await service.as(freshTenant()).verify(key('good-with-senders'));
    const senders = answer.body.senders as Array<{ email: string; source: string }>;

    expect(senders).toContainEqual({
      email: 'billing@acme.example',
      domain: 'acme.example',
      source: 'verified_sender',
    });
    expect(senders.map((sender) => sender.email)).not.toContain('founder@gmail.example');
    expect(senders.map((sender) => sender.email)).not.toContain('pending@acme.example');
  });

  it('detects an EU key and keeps the EU region', async () => {
    const answer = await service.as(freshTenant()).verify(key('eu'));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ region: 'eu' });
    expect(answer.body.senders).toContainEqual({
      email: 'info@euro.example',
      domain: 'euro.example',
      source: 'suggested',
    });
  });

  it('rejects an EU key when the global region is forced, and says why', async () => {
    const answer = await service.as(freshTenant()).verify(key('eu'), 'global');

    expectProblem(answer, 422, 'key_rejected');
    expect(answer.body.detail).toMatch(/region/);
  });

  it.each([
    ['too short', 'SG.abc.def'],
    ['not a SendGrid key', 'sk_live_0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop'],
    ['one character off', () => `${key('good')}x`],
  ])('refuses a key that is %s with invalid_key_format', async (_label, value) => {
    const answer = await service.as(freshTenant()).verify(typeof value === 'function' ? value() : value);

    expectProblem(answer, 422, 'invalid_key_format');
  });

  it('names the missing whitelabel.read scope and the setting that grants it', async () => {
    const answer = await service.as(freshTenant()).verify(key('missing-whitelabel-read'));

    expectProblem(answer, 422, 'missing_scopes');
    expect(answer.body.missingScopes).toEqual([
      { scope: 'whitelabel.read', grantedBy: 'Sender Authentication → Read Access' },
    ]);
  });

  it('names the missing mail.send scope and the setting that grants it', async () => {
    const answer = await service.as(freshTenant()).verify(key('missing-mail-send'));

    expectProblem(answer, 422, 'missing_scopes');
    expect(answer.body.missingScopes).toEqual([{ scope: 'mail.send', grantedBy: 'Mail Send → Full Access' }]);
  });

  it('refuses a full-access key as excess_scopes', async () => {
    const answer = await service.as(freshTenant()).verify(key('full-access'));

    expectProblem(answer, 422, 'excess_scopes');
    expect(answer.body).toMatchObject({ fullAccess: true });
    expect((answer.body.excessScopes as string[]).length).toBeGreaterThan(100);
  });

  it('refuses a billing key', async () => {
    expectProblem(await service.as(freshTenant()).verify(key('billing')), 422, 'billing_key');
  });

  it('reports a revoked key as key_rejected', async () => {
    expectProblem(await service.as(freshTenant()).verify(key('revoked')), 422, 'key_rejected');
  });

  it('refuses a key whose account has no authenticated domain', async () => {
    expectProblem(await service.as(freshTenant()).verify(key('no-domain')), 422, 'no_authenticated_domain');
  });

  it('answers 503 upstream_unavailable, retryable, when SendGrid fails', async () => {
    service.sandbox.injectFault({ path: '/v3/scopes', status: 500, times: 1 });

    const answer = await service.as(freshTenant()).verify(key('good'));

    expectProblem(answer, 503, 'upstream_unavailable');
    expect(answer.body.retryable).toBe(true);
  });

  it('answers 503 when SendGrid is slower than the timeout', async () => {
    service.sandbox.injectFault({ path: '/v3/scopes', delayMs: 2_500, times: 1 });

    expectProblem(await service.as(freshTenant()).verify(key('good')), 503, 'upstream_unavailable');
  });

  it('answers 503 when SendGrid drops the connection', async () => {
    service.sandbox.injectFault({ path: '/v3/scopes', kind: 'reset', times: 1 });

    expectProblem(await service.as(freshTenant()).verify(key('good')), 503, 'upstream_unavailable');
  });

  it.each([
    ['a 503', { status: 503 }],
    ['an HTML page instead of JSON', { kind: 'non-json' as const }],
  ])('answers 503 upstream_unavailable when SendGrid answers %s', async (_name, fault) => {
    service.sandbox.injectFault({ path: '/v3/scopes', times: 1, ...fault });
    expectProblem(await service.as(freshTenant()).verify(key('good')), 503, 'upstream_unavailable');
  });

  it('answers 503 with Retry-After when SendGrid rate-limits', async () => {
    service.sandbox.injectFault({ path: '/v3/scopes', status: 429, resetInSeconds: 20, times: 1 });

    const answer = await service.as(freshTenant()).verify(key('good'));

    expectProblem(answer, 503, 'upstream_unavailable');
    expect(Number(answer.body.retryAfterSeconds)).toBeGreaterThan(0);
  });
});

describe('the integration lifecycle', () => {
  it('saves, reads, rotates, edits senders and deletes', async () => {
    const client = service.as(freshTenant());

    const saved = await client.save(key('good'), ['Info@acme.example', 'noreply@acme.example']);
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({
      provider: 'sendgrid',
      region: 'global',
      keyId: service.sandbox.key('good').keyId,
      emails: ['info@acme.example', 'noreply@acme.example'],
      status: 'active',
      keyVersion: 1,
      rotatedAt: null,
    });

    const card = await client.card();
    expect(card.status).toBe(200);
    expect(card.body).toEqual(saved.body);
    expect(Object.keys(card.body).sort()).toEqual(
      [
        'createdAt',
        'emails',
        'keyId',
        'keyVersion',
        'lastSendError',
        'lastVerifiedAt',
        'provider',
        'region',
        'revision',
        'rotatedAt',
        'status',
        'statusLabel',
        'statusNextStep',
        'updatedAt',
      ].sort(),
    );

    const rotated = await client.rotate(key('good-second'));
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({
      keyVersion: 2,
      keyId: service.sandbox.key('good-second').keyId,
      emails: ['info@acme.example', 'noreply@acme.example'],
      createdAt: saved.body.createdAt,
    });
    expect(rotated.body.rotatedAt).toEqual(expect.any(String));

    const edited = await client.editEmails(['noreply@acme.example', 'info@news.acme.example']);
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ emails: ['noreply@acme.example', 'info@news.acme.example'], keyVersion: 2 });

    const deleted = await client.remove();
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectProblem(await client.card(), 404, 'not_found');
    expectProblem(await client.remove(), 404, 'not_found');
  });

  it('answers 200 when a save replaces an existing integration', async () => {
    const client = service.as(freshTenant());
    await client.save(key('good'), ['info@acme.example']);

    const replaced = await client.save(key('eu'), ['noreply@euro.example']);

    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ region: 'eu', emails: ['noreply@euro.example'], keyVersion: 2 });
  });

  it('saves an EU key with its region', async () => {
    const client = service.as(freshTenant());

    const saved = await client.save(key('eu'), ['info@euro.example'], 'eu');

    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ region: 'eu' });
    expect((await client.editEmails(['noreply@euro.example'])).status).toBe(200);
  });

  it('verifies again on save and refuses a bad key without writing', async () => {
    const client = service.as(freshTenant());

    expectProblem(await client.save(key('missing-mail-send'), ['info@acme.example']), 422, 'missing_scopes');
    expectProblem(await client.card(), 404, 'not_found');
  });

  it('refuses senders outside the key’s authenticated domains, naming them, without writing', async () => {
    const client = service.as(freshTenant());

    const answer = await client.save(key('good'), ['info@acme.example', 'x@old.acme.example', 'ceo@gmail.example']);

    expectProblem(answer, 422, 'sender_not_authenticated');
    expect(answer.body.emails).toEqual(['x@old.acme.example', 'ceo@gmail.example']);
    expectProblem(await client.card(), 404, 'not_found');
  });

  it('refuses a rotation to a key whose account does not cover the senders, and keeps the old key', async () => {
    const client = service.as(freshTenant());
    const saved = await client.save(key('good'), ['info@acme.example']);

    // No sender's domain is authenticated under it: most likely another SendGrid account's key.
    expectProblem(await client.rotate(key('other-account')), 422, 'different_account');
    expect((await client.card()).body).toEqual(saved.body);
  });

  it('applies the scope checks to a rotated key', async () => {
    const client = service.as(freshTenant());
    await client.save(key('good'), ['info@acme.example']);

    expectProblem(await client.rotate(key('full-access')), 422, 'excess_scopes');
    expect((await client.card()).body).toMatchObject({ keyVersion: 1 });
  });

  it('answers 404 to rotate and edit when there is nothing to change', async () => {
    const client = service.as(freshTenant());

    expectProblem(await client.rotate(key('good')), 404, 'not_found');
    expectProblem(await client.editEmails(['info@acme.example']), 404, 'not_found');
  });

  it('checks edited senders against the stored key’s domains', async () => {
    const client = service.as(freshTenant());
    await client.save(key('good'), ['info@acme.example']);

    const answer = await client.editEmails(['info@acme.example', 'info@globex.example']);

    expectProblem(answer, 422, 'sender_not_authenticated');
    expect(answer.body.emails).toEqual(['info@globex.example']);
    expect((await client.card()).body).toMatchObject({ emails: ['info@acme.example'] });
  });

  it('tells the customer to rotate when the stored key was revoked in SendGrid', async () => {
    const client = service.as(freshTenant());
    const extra = service.sandbox.addKey({
      name: `revocable-${freshTenant()}`,
      accountId: 'acme',
      scopes: service.sandbox.key('good').scopes,
      revoked: false,
      canReadVerifiedSenders: false,
      description: 'a key this test revokes',
    });
    await client.save(extra.apiKey, ['info@acme.example']);
    service.sandbox.revokeKey(extra.keyId);

    expectProblem(await client.editEmails(['noreply@acme.example']), 422, 'key_rejected');
  });
});

describe('tenants and requests', () => {
  it('answers 401 without a tenant', async () => {
    expectProblem(await service.as(undefined).card(), 401, 'unauthorized');
    expectProblem(await service.as(undefined).verify(key('good')), 401, 'unauthorized');
  });

  it('keeps each tenant’s integration to itself', async () => {
    const tenantA = service.as(freshTenant());
    const tenantB = service.as(freshTenant());
    await tenantA.save(key('good'), ['info@acme.example']);

    expectProblem(await tenantB.card(), 404, 'not_found');
    expectProblem(await tenantB.rotate(key('good-second')), 404, 'not_found');
    expectProblem(await tenantB.editEmails(['noreply@acme.example']), 404, 'not_found');
    expectProblem(await tenantB.remove(), 404, 'not_found');
    expect((await tenantA.card()).body).toMatchObject({ emails: ['info@acme.example'], keyVersion: 1 });
  });

  it('ignores a tenant id smuggled into the body', async () => {
    const client = service.as(freshTenant());

    const answer = await client.call('PUT', '/integrations/sendgrid', {
      apiKey: key('good'),
      emails: ['info@acme.example'],
      tenantId: 'someone-else',
    });

    expectProblem(answer, 400, 'invalid_request');
    expect(answer.body.field).toBe('tenantId');
  });

  it.each([
    ['invalid JSON', '{"apiKey": "SG.', 'body'],
    ['a wrong type', { apiKey: 12, emails: ['info@acme.example'] }, 'apiKey'],
    ['a missing field', { apiKey: 'x' }, 'emails'],
    ['a duplicate sender', { apiKey: 'x', emails: ['a@acme.example', 'A@ACME.example'] }, 'emails'],
    ['51 senders', { apiKey: 'x', emails: Array.from({ length: 51 }, (_, i) => `s${i}@acme.example`) }, 'emails'],
    ['a header-injection address', { apiKey: 'x', emails: ['info@acme.example\r\nBcc: all@x.example'] }, 'emails.0'],
  ])('answers 400 invalid_request for %s, naming the field', async (_label, body, field) => {
    const client = service.as(freshTenant());

    const answer = await client.call('PUT', '/integrations/sendgrid', body);

    expectProblem(answer, 400, 'invalid_request');
    expect(answer.body.field).toBe(field);
    expectProblem(await client.card(), 404, 'not_found');
  });

  it('answers route_not_found for an unknown path', async () => {
    expectProblem(await service.as(freshTenant()).call('GET', '/integrations/mailgun'), 404, 'route_not_found');
  });

  it('lets exactly one of several simultaneous saves per revision win; the rest get 409', async () => {
    const client = service.as(freshTenant());
    await client.save(key('good'), ['info@acme.example']);

    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        client.editEmails(index % 2 === 0 ? ['info@acme.example'] : ['noreply@acme.example']),
      ),
    );
    const statuses = answers.map((answer) => answer.status);

    expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
    expect(statuses).toContain(200);
    for (const answer of answers.filter((candidate) => candidate.status === 409))
      expectProblem(answer, 409, 'conflict');
    const card = await client.card();
    expect(card.status).toBe(200);
    expect((await client.editEmails(['info@acme.example'])).status).toBe(200);
  });
  it('gives each version of a contended integration exactly one winner across save, rotate and edit', async () => {
    const client = service.as(freshTenant());
    await client.save(key('good'), ['info@acme.example']);
    const operations = Array.from({ length: 12 }, (_, index) => {
      if (index % 3 === 0)
        return { changesKey: true, run: () => client.rotate(key(index % 2 ? 'good' : 'good-second')) };
      if (index % 3 === 1) return { changesKey: true, run: () => client.save(key('good'), ['noreply@acme.example']) };
      return { changesKey: false, run: () => client.editEmails(['info@acme.example', 'noreply@acme.example']) };
    });
    const answers = await Promise.all(operations.map((operation) => operation.run()));
    expect(answers.every((answer) => answer.status === 200 || answer.status === 409)).toBe(true);
    // 409: a concurrent change won, or the rotation named the key stored at that moment.
    for (const answer of answers.filter((candidate) => candidate.status === 409))
      expectProblem(answer, 409, answer.body.code === 'same_key' ? 'same_key' : 'conflict');
    const keyWins = answers.filter((answer, index) => answer.status === 200 && operations[index]?.changesKey).length;
    const card = await client.card();
    // Every successful key change made exactly one new key version: no lost or doubled update.
    expect(card.body.keyVersion).toBe(1 + keyWins);
    expect([key('good'), key('good-second')].map((apiKey) => apiKey.slice(3, 25))).toContain(card.body.keyId);
    // The final item is whole: its key decrypts (editing senders re-checks domains with it).
    expect((await client.editEmails(['info@acme.example'])).status).toBe(200);
  });
});

describe('a damaged integration item', () => {
  it('answers 422 integration_unreadable on every route of its tenant, never 500, and can be deleted', async () => {
    const tenantId = freshTenant();
    const client = service.as(tenantId);
    await client.save(key('good'), ['info@acme.example']);
    const other = service.as(freshTenant());
    await other.save(key('good'), ['info@acme.example']);
    const documents = service.documents();
    const table = service.runtime.dynamoDb.tables.integrations;
    // A field of the wrong type, as a bad manual edit or a faulty migration would leave it.
    await documents.send(
      new UpdateCommand({
        TableName: table,
        Key: { tenantId, channel: 'email' },
        UpdateExpression: 'SET emails = :text',
        ExpressionAttributeValues: { ':text': 'info@acme.example' },
      }),
    );

    const answers = {
      card: await client.card(),
      test: await client.call('POST', '/integrations/sendgrid/test', { to: 'jane@customer.example', sandbox: true }),
      rotate: await client.rotate(key('good-second')),
      edit: await client.editEmails(['info@acme.example']),
      save: await client.save(key('good'), ['info@acme.example']),
    };

    for (const answer of Object.values(answers)) {
      expectProblem(answer, 422, 'integration_unreadable');
      expect(answer.body.fields).toEqual(['emails']);
    }
    expect((await other.card()).status).toBe(200);
    expect((await client.remove()).status).toBe(204);
    expect((await client.save(key('good'), ['info@acme.example'])).status).toBe(201);
  });
});

describe('the key-check limit', () => {
  it('answers the 21st key check of a tenant within the hour with 429 and Retry-After; another tenant is unaffected', async () => {
    // The limit counts per clock hour: start well inside one, so all 21 checks fall in it.
    const msToNextHour = 3_600_000 - (Date.now() % 3_600_000);
    if (msToNextHour < 60_000) await new Promise((resolve) => setTimeout(resolve, msToNextHour + 1_000));
    const tenantId = freshTenant();
    const client = service.as(tenantId);
    expect((await client.save(key('good'), ['info@acme.example'])).status).toBe(201);
    expect((await client.rotate(key('good-second'))).status).toBe(200);
    for (let check = 3; check <= 20; check += 1) expect((await client.verify(key('good'))).status).toBe(200);

    const refused = await fetch(`${service.runtime.url}/integrations/sendgrid/verify`, {
      method: 'POST',
      headers: { 'x-tenant-id': tenantId, 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: key('good') }),
    });
    const body = (await refused.json()) as Record<string, unknown>;
    expect(refused.status).toBe(429);
    expect(body).toMatchObject({ status: 429, code: 'too_many_attempts', limit: 20 });
    expect(String(body.detail)).toMatch(/Wait \d+ minutes?, then try again/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(body.retryAfterSeconds);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
    expectProblem(await client.save(key('good'), ['info@acme.example']), 429, 'too_many_attempts');
    expectProblem(await client.rotate(key('good')), 429, 'too_many_attempts');

    expect((await client.card()).body.keyId).toBe(service.sandbox.key('good-second').keyId);
    expect((await service.as(freshTenant()).verify(key('good'))).status).toBe(200);
  });
});
