import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoKeyTable, type SendGridSandbox, startSendGridSandbox } from '../../local/sendgrid-sandbox/index.js';

let sandbox: SendGridSandbox;

beforeAll(async () => {
  sandbox = await startSendGridSandbox();
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) };
}

const key = (name: string) => sandbox.key(name).apiKey;

function mail(from: string, extra: Record<string, unknown> = {}) {
  return {
    personalizations: [{ to: [{ email: 'someone@customer.example' }] }],
    from: { email: from },
    subject: 'Hello',
    content: [{ type: 'text/plain', value: 'Hi there' }],
    ...extra,
  };
}

describe('SendGrid sandbox: keys and scopes', () => {
  it('lists the scopes of a good key, with the pseudo-scopes SendGrid adds', async () => {
    const answer = await call(sandbox.globalUrl, 'GET', '/v3/scopes', { key: key('good') });
    expect(answer.status).toBe(200);
    const scopes = (answer.json as { scopes: string[] }).scopes;
    expect(scopes).toEqual(expect.arrayContaining(['mail.send', 'whitelabel.read', '2fa_required']));
    expect(answer.headers.get('x-ratelimit-limit')).toBe('600');
    expect(answer.headers.get('x-ratelimit-remaining')).toBe('599');
  });

  it("answers 401 with SendGrid's body for a revoked, unknown or absent key", async () => {
    for (const presented of [key('revoked'), `SG.${'a'.repeat(22)}.${'b'.repeat(43)}`]) {
      const answer = await call(sandbox.globalUrl, 'GET', '/v3/scopes', { key: presented });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({
        errors: [{ field: null, message: 'The provided authorization grant is invalid, expired, or revoked' }],
      });
    }
    expect((await call(sandbox.globalUrl, 'GET', '/v3/scopes')).status).toBe(401);
  });

  it('accepts an EU subuser key only on the EU host', async () => {
    expect((await call(sandbox.globalUrl, 'GET', '/v3/scopes', { key: key('eu') })).status).toBe(401);
    expect((await call(sandbox.euUrl, 'GET', '/v3/scopes', { key: key('eu') })).status).toBe(200);
    const send = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('eu'),
      body: mail('a@euro.example'),
    });
    expect(send.json).toEqual({
      errors: [{ field: null, message: 'User is not authorized to send mail based on their regional attribute' }],
    });
  });

  it('derives demo keys from their names, so they are the same in every process', async () => {
    const other = await startSendGridSandbox();
    try {
      expect(other.key('good').apiKey).toBe(key('good'));
      expect(key('good')).toMatch(/^SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    } finally {
      await other.close();
    }
    const goodLine = demoKeyTable(sandbox)
      .split('\n')
      .find((line) => line.trim().startsWith('good '));
    expect(goodLine?.trim().split(/\s+/).slice(0, 2)).toEqual(['good', key('good')]);
  });
});

describe('SendGrid sandbox: sender identities', () => {
  it('pages through authenticated domains with limit and offset', async () => {
    const first = await call(sandbox.globalUrl, 'GET', '/v3/whitelabel/domains?limit=2&offset=0', { key: key('good') });
    const second = await call(sandbox.globalUrl, 'GET', '/v3/whitelabel/domains?limit=2&offset=2', {
      key: key('good'),
    });
    const names = [...(first.json as { domain: string }[]), ...(second.json as { domain: string }[])].map(
      (entry) => entry.domain,
    );
    expect(names).toEqual(['acme.example', 'news.acme.example', 'old.acme.example']);
    expect((second.json as { valid: boolean }[])[0]?.valid).toBe(false);
  });

  it('refuses domains without whitelabel.read, and verified senders to restricted keys', async () => {
    const domains = await call(sandbox.globalUrl, 'GET', '/v3/whitelabel/domains', {
      key: key('missing-whitelabel-read'),
    });
    expect(domains.status).toBe(403);
    expect(domains.json).toEqual({ errors: [{ field: null, message: 'access forbidden' }] });
    expect((await call(sandbox.globalUrl, 'GET', '/v3/verified_senders', { key: key('good') })).status).toBe(403);
    const senders = await call(sandbox.globalUrl, 'GET', '/v3/verified_senders?limit=2', {
      key: key('good-with-senders'),
    });
    expect((senders.json as { results: { from_email: string }[] }).results.map((s) => s.from_email)).toEqual([
      'billing@acme.example',
      'founder@gmail.example',
    ]);
  });
});

describe('SendGrid sandbox: mail send', () => {
  it('accepts mail from an authenticated domain with 202 and an X-Message-Id, and records it', async () => {
    const answer = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('noreply@acme.example'),
    });
    expect(answer.status).toBe(202);
    const messageId = answer.headers.get('x-message-id');
    expect(messageId).toBeTruthy();
    expect(sandbox.messages()).toEqual([
      expect.objectContaining({ messageId, accountId: 'acme', region: 'global', sandboxMode: false }),
    ]);
  });

  it('answers 200 in sandbox mode and 403 for a from address the account cannot use', async () => {
    const sandboxed = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('info@acme.example', { mail_settings: { sandbox_mode: { enable: true } } }),
    });
    expect(sandboxed.status).toBe(200);
    const refused = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('info@old.acme.example'),
    });
    expect(refused.status).toBe(403);
    expect((refused.json as { errors: { field: string }[] }).errors[0]?.field).toBe('from');
  });

  it('names the bad field of an invalid body, and refuses keys without mail.send', async () => {
    const invalid = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('info@acme.example', { personalizations: [] }),
    });
    expect(invalid.status).toBe(400);
    expect((invalid.json as { errors: { field: string }[] }).errors[0]?.field).toBe('personalizations');
    const noSend = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('missing-mail-send'),
      body: mail('info@acme.example'),
    });
    expect(noSend.status).toBe(401);
    expect(sandbox.messages()).toEqual([]);
  });
});

describe('SendGrid sandbox: requests judged by SendGrid’s OpenAPI documents', () => {
  it('refuses message-level custom_args given as an object with 400 naming custom_args', async () => {
    const answer = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('info@acme.example', { custom_args: { messageId: 'm-1' } }),
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      errors: [
        {
          field: 'custom_args',
          message: 'The custom_args field must be string.',
          help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.custom_args',
        },
      ],
    });
    expect(sandbox.messages()).toEqual([]);
  });

  it('accepts custom_args as an object in a personalization', async () => {
    const body = mail('info@acme.example', {
      personalizations: [{ to: [{ email: 'someone@customer.example' }], custom_args: { messageId: 'm-1' } }],
    });
    const answer = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', { key: key('good'), body });
    expect(answer.status).toBe(202);
  });

  it('names every field the document refuses: types, required fields, formats, limits', async () => {
    const answer = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: {
        personalizations: [{ to: [{ email: 'not-an-address' }], cc: 'x@customer.example' }],
        from: { name: 'No address' },
        subject: 'Hello',
        content: [{ type: 'text/plain', value: 'Hi' }],
        categories: ['a', 'a'],
        ip_pool_name: 'x',
      },
    });
    expect(answer.status).toBe(400);
    const fields = (answer.json as { errors: { field: string | null; help: unknown }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'personalizations.0.to.0.email',
        'personalizations.0.cc',
        'from.email',
        'categories',
        'ip_pool_name',
      ]),
    );
  });

  it('keeps the rules the document states only in prose on top of it', async () => {
    const noContent = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('info@acme.example', { content: [] }),
    });
    expect((noContent.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['content']);
    const bothReplyTo = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('info@acme.example', {
        reply_to: { email: 'a@acme.example' },
        reply_to_list: [{ email: 'b@acme.example' }],
      }),
    });
    expect((bothReplyTo.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['reply_to_list']);
    const duplicate = await call(sandbox.globalUrl, 'POST', '/v3/mail/send', {
      key: key('good'),
      body: mail('info@acme.example', {
        personalizations: [{ to: [{ email: 'a@customer.example' }], bcc: [{ email: 'A@customer.example' }] }],
      }),
    });
    expect((duplicate.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      'personalizations.0',
    ]);
  });

  it('checks query parameters against the documents of the list endpoints', async () => {
    const badOffset = await call(sandbox.globalUrl, 'GET', '/v3/whitelabel/domains?offset=-1', { key: key('good') });
    expect(badOffset.status).toBe(400);
    expect((badOffset.json as { errors: { field: string }[] }).errors[0]?.field).toBe('offset');
    const badFlag = await call(sandbox.globalUrl, 'GET', '/v3/whitelabel/domains?exclude_subusers=maybe', {
      key: key('good'),
    });
    expect((badFlag.json as { errors: { field: string }[] }).errors[0]?.field).toBe('exclude_subusers');
    const badLastSeen = await call(sandbox.globalUrl, 'GET', '/v3/verified_senders?lastSeenID=abc', {
      key: key('good-with-senders'),
    });
    expect(badLastSeen.status).toBe(400);
    expect((badLastSeen.json as { errors: { field: string }[] }).errors[0]?.field).toBe('lastSeenID');
    const good = await call(sandbox.globalUrl, 'GET', '/v3/whitelabel/domains?limit=2&offset=1&exclude_subusers=true', {
      key: key('good'),
    });
    expect(good.status).toBe(200);
  });
});

describe('SendGrid sandbox: faults and control API', () => {
  it("answers an injected 429 with SendGrid's body and a reset time, then recovers", async () => {
    sandbox.injectFault({ path: '/v3/scopes', status: 429, resetInSeconds: 30 });
    const limited = await call(sandbox.globalUrl, 'GET', '/v3/scopes', { key: key('good') });
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ errors: [{ field: null, message: 'too many requests' }] });
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 + 20);
    expect((await call(sandbox.globalUrl, 'GET', '/v3/scopes', { key: key('good') })).status).toBe(200);
  });

  it('adds and revokes keys and injects faults over HTTP', async () => {
    const added = await call(sandbox.globalUrl, 'POST', '/__sandbox/keys', {
      body: { name: 'extra', accountId: 'globex', scopes: ['mail.send', 'whitelabel.read'] },
    });
    expect(added.status).toBe(201);
    const extra = added.json as { apiKey: string; keyId: string };
    expect((await call(sandbox.globalUrl, 'GET', '/v3/scopes', { key: extra.apiKey })).status).toBe(200);
    expect((await call(sandbox.globalUrl, 'POST', `/__sandbox/keys/${extra.keyId}/revoke`)).status).toBe(204);
    expect((await call(sandbox.globalUrl, 'GET', '/v3/scopes', { key: extra.apiKey })).status).toBe(401);

    const badFault = await call(sandbox.globalUrl, 'POST', '/__sandbox/faults', { body: { status: 'soon' } });
    expect(badFault.status).toBe(400);
    await call(sandbox.globalUrl, 'POST', '/__sandbox/faults', { body: { path: '/v3/scopes', status: 503 } });
    expect((await call(sandbox.euUrl, 'GET', '/v3/scopes', { key: key('eu') })).status).toBe(503);
  });
});
