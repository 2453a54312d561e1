import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SendGridSandbox, startSendGridSandbox } from '../../local/sendgrid-sandbox/index.js';

/** A receiver standing in for our service's webhook route: records raw posts, answers as told. */
interface Receiver {
  url: string;
  posts: Array<{ headers: IncomingHttpHeaders; body: Buffer }>;
  /** Statuses for the next posts, in order; 200 once they run out. */
  answers: number[];
  /** Resolves with the next post. */
  nextPost(): Promise<{ headers: IncomingHttpHeaders; body: Buffer }>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const posts: Receiver['posts'] = [];
  const answers: number[] = [];
  let waiting: Array<(post: Receiver['posts'][number]) => void> = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const post = { headers: request.headers, body: Buffer.concat(chunks) };
      posts.push(post);
      response.writeHead(answers.shift() ?? 200).end();
      for (const resolve of waiting) resolve(post);
      waiting = [];
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/sendgrid/hook-1`,
    posts,
    answers,
    nextPost: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let sandbox: SendGridSandbox;
let receiver: Receiver;

beforeAll(async () => {
  // Posting waits a minute, so only an explicit flush posts: every test decides when.
  sandbox = await startSendGridSandbox({ eventWebhook: { delayMs: 60_000, retryDelaysMs: [60_000, 60_000] } });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  sandbox.reset();
  receiver = await startReceiver();
});
afterEach(() => receiver.close());

const key = (name: string) => sandbox.key(name).apiKey;

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${sandbox.globalUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function sendMail(to: string[], customArgs: Record<string, string>, extra: Record<string, unknown> = {}) {
  const response = await fetch(`${sandbox.globalUrl}/v3/mail/send`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key('good')}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      personalizations: [{ to: to.map((email) => ({ email })), custom_args: customArgs }],
      from: { email: 'info@acme.example' },
      subject: 'Hello',
      content: [{ type: 'text/plain', value: 'Hi' }],
      categories: ['welcome'],
      ...extra,
    }),
  });
  expect([200, 202]).toContain(response.status);
  return response.headers.get('x-message-id');
}

function verifies(post: { headers: IncomingHttpHeaders; body: Buffer }, publicKey: string): boolean {
  const timestamp = String(post.headers['x-twilio-email-event-webhook-timestamp']);
  const signature = String(post.headers['x-twilio-email-event-webhook-signature']);
  const keyObject = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
  return verify(
    'sha256',
    Buffer.concat([Buffer.from(timestamp), post.body]),
    keyObject,
    Buffer.from(signature, 'base64'),
  );
}

type Event = Record<string, unknown>;
const eventsOf = (post: { body: Buffer }) => JSON.parse(post.body.toString('utf8')) as Event[];

describe('SendGrid sandbox: Event Webhook settings', () => {
  it('sets an account’s webhook over the control API, signed with a P-256 key shown as base64 DER SPKI', async () => {
    const set = await control('PUT', '/__sandbox/accounts/acme/event-webhook', { url: receiver.url });
    expect(set.status).toBe(200);
    const webhook = set.json as { url: string; enabled: boolean; signed: boolean; publicKey: string };
    expect(webhook).toMatchObject({ url: receiver.url, enabled: true, signed: true });
    const keyObject = createPublicKey({ key: Buffer.from(webhook.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(keyObject.asymmetricKeyType).toBe('ec');
    expect(keyObject.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect((await control('GET', '/__sandbox/accounts/acme/event-webhook')).json).toEqual(set.json);
  });

  it('keeps an account’s key across resets and restarts, and gives each account its own', async () => {
    const before = sandbox.setEventWebhook('acme', { url: receiver.url }).publicKey;
    sandbox.reset();
    const other = await startSendGridSandbox();
    try {
      expect(other.setEventWebhook('acme', { url: receiver.url }).publicKey).toBe(before);
      expect(sandbox.setEventWebhook('globex', { url: receiver.url }).publicKey).not.toBe(before);
    } finally {
      await other.close();
    }
  });

  it('refuses a URL that is not http(s), an unknown account, and forgets a deleted webhook', async () => {
    const badUrl = await control('PUT', '/__sandbox/accounts/acme/event-webhook', { url: 'ftp://example.com/x' });
    expect(badUrl).toMatchObject({ status: 400, json: { field: 'url' } });
    expect((await control('PUT', '/__sandbox/accounts/nobody/event-webhook', { url: receiver.url })).status).toBe(404);
    await control('PUT', '/__sandbox/accounts/acme/event-webhook', { url: receiver.url });
    expect((await control('DELETE', '/__sandbox/accounts/acme/event-webhook')).status).toBe(204);
    expect((await control('GET', '/__sandbox/accounts/acme/event-webhook')).status).toBe(404);
  });
});

describe('SendGrid sandbox: signed Event Webhook posts', () => {
  it('posts a batch whose signature verifies with node:crypto against the account’s public key', async () => {
    const { publicKey } = sandbox.setEventWebhook('acme', { url: receiver.url });
    const xMessageId = await sendMail(['jane@customer.example'], { messageId: 'm-1', tenantId: 't-1' });
    const deliveries = (await control('POST', '/__sandbox/event-webhook/flush')).json as {
      deliveries: Array<{ status: number; outcome: string; events: number }>;
    };
    expect(deliveries.deliveries).toEqual([expect.objectContaining({ status: 200, outcome: 'delivered', events: 2 })]);
    const [post] = receiver.posts;
    if (!post) throw new Error('nothing was posted');
    expect(post.headers['content-type']).toBe('application/json');
    expect(Number(post.headers['x-twilio-email-event-webhook-timestamp'])).toBeGreaterThan(0);
    expect(verifies(post, publicKey)).toBe(true);
    const events = eventsOf(post);
    expect(events.map((event) => event.event)).toEqual(['processed', 'delivered']);
    for (const event of events) {
      expect(event).toMatchObject({
        email: 'jane@customer.example',
        messageId: 'm-1',
        tenantId: 't-1',
        category: ['welcome'],
        sg_message_id: expect.stringMatching(new RegExp(`^${xMessageId}\\.`)),
        sg_event_id: expect.stringMatching(/^[A-Za-z0-9_-]{1,100}$/),
        timestamp: expect.any(Number),
      });
    }
    expect(new Set(events.map((event) => event.sg_event_id)).size).toBe(2);
  });

  it('signs so that a changed body, another timestamp or another account’s key does not verify', async () => {
    const { publicKey } = sandbox.setEventWebhook('acme', { url: receiver.url });
    const otherKey = sandbox.setEventWebhook('globex', { url: `${receiver.url}-globex` }).publicKey;
    await sendMail(['jane@customer.example'], { messageId: 'm-2' });
    await sandbox.flushEventWebhooks();
    const [post] = receiver.posts;
    if (!post) throw new Error('nothing was posted');
    const tamperedBody = Buffer.from(post.body.toString('utf8').replace('jane@', 'joan@'));
    const otherTimestamp = String(Number(post.headers['x-twilio-email-event-webhook-timestamp']) + 1);
    expect(verifies({ ...post, body: tamperedBody }, publicKey)).toBe(false);
    expect(
      verifies(
        { ...post, headers: { ...post.headers, 'x-twilio-email-event-webhook-timestamp': otherTimestamp } },
        publicKey,
      ),
    ).toBe(false);
    expect(verifies(post, otherKey)).toBe(false);
  });

  it('reports bounce@ as a hard bounce, spam@ as delivered then spamreport, defer@ as deferred then delivered', async () => {
    sandbox.setEventWebhook('acme', { url: receiver.url });
    await sendMail(
      ['ok@customer.example', 'bounce@customer.example', 'spam+1@customer.example', 'defer@customer.example'],
      { messageId: 'm-3' },
    );
    await sandbox.flushEventWebhooks();
    const events = receiver.posts.flatMap(eventsOf);
    const sequence = (email: string) =>
      events.filter((event) => event.email === email).map((event) => event.event as string);
    expect(sequence('ok@customer.example')).toEqual(['processed', 'delivered']);
    expect(sequence('bounce@customer.example')).toEqual(['processed', 'bounce']);
    expect(sequence('spam+1@customer.example')).toEqual(['processed', 'delivered', 'spamreport']);
    expect(sequence('defer@customer.example')).toEqual(['processed', 'deferred', 'delivered']);
    expect(events.find((event) => event.event === 'bounce')).toMatchObject({
      type: 'bounce',
      status: '5.1.1',
      reason: expect.stringContaining('550'),
    });
    expect(events.find((event) => event.event === 'deferred')).toMatchObject({ attempt: '1' });
    expect(events.every((event) => event.messageId === 'm-3')).toBe(true);
  });

  it('retries a batch after a non-2xx answer with the same events, and drops it after the last retry', async () => {
    sandbox.setEventWebhook('acme', { url: receiver.url });
    await sendMail(['jane@customer.example'], { messageId: 'm-4' });
    receiver.answers.push(500);
    expect(await sandbox.flushEventWebhooks()).toEqual([
      expect.objectContaining({ attempt: 1, status: 500, outcome: 'retrying' }),
    ]);
    expect(await sandbox.flushEventWebhooks()).toEqual([
      expect.objectContaining({ attempt: 2, status: 200, outcome: 'delivered' }),
    ]);
    const [first, second] = receiver.posts;
    expect(eventsOf(second ?? { body: Buffer.from('[]') })).toEqual(eventsOf(first ?? { body: Buffer.from('{}') }));

    await sendMail(['joan@customer.example'], { messageId: 'm-5' });
    receiver.answers.push(503, 503, 503);
    const outcomes = [];
    for (let pass = 0; pass < 4; pass++) outcomes.push(...(await sandbox.flushEventWebhooks()));
    expect(outcomes.map((delivery) => delivery.outcome)).toEqual(['retrying', 'retrying', 'dropped']);
    expect(sandbox.eventWebhookDeliveries()).toHaveLength(5);
  });

  it('posts nothing for sandbox-mode mail, for an account without a webhook, or with a disabled one', async () => {
    await sendMail(['jane@customer.example'], { messageId: 'm-6' });
    sandbox.setEventWebhook('acme', { url: receiver.url, enabled: false });
    await sendMail(['jane@customer.example'], { messageId: 'm-7' });
    sandbox.setEventWebhook('acme', { url: receiver.url, enabled: true });
    await sendMail(
      ['jane@customer.example'],
      { messageId: 'm-8' },
      { mail_settings: { sandbox_mode: { enable: true } } },
    );
    expect(await sandbox.flushEventWebhooks()).toEqual([]);
    expect(receiver.posts).toEqual([]);
  });
});

describe('SendGrid sandbox: Event Webhook timing', () => {
  it('posts on its own a short while after accepting mail', async () => {
    const quick = await startSendGridSandbox({ eventWebhook: { delayMs: 10 } });
    try {
      quick.setEventWebhook('acme', { url: receiver.url });
      const posted = receiver.nextPost();
      const response = await fetch(`${quick.globalUrl}/v3/mail/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${quick.key('good').apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          personalizations: [{ to: [{ email: 'jane@customer.example' }], custom_args: { messageId: 'm-9' } }],
          from: { email: 'info@acme.example' },
          subject: 'Hello',
          content: [{ type: 'text/plain', value: 'Hi' }],
        }),
      });
      expect(response.status).toBe(202);
      const post = await posted;
      expect(eventsOf(post).map((event) => event.messageId)).toEqual(['m-9', 'm-9']);
      expect(verifies(post, quick.setEventWebhook('acme', { url: receiver.url }).publicKey)).toBe(true);
    } finally {
      await quick.close();
    }
  });
});

describe('SendGrid sandbox: SendGrid’s Event Webhook settings endpoints', () => {
  async function v3(method: string, path: string, keyName: string, body?: unknown) {
    const response = await fetch(`${sandbox.globalUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key(keyName)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> };
  }

  it('creates a webhook, turns signing on and posts batches that verify with the key SendGrid returns', async () => {
    const created = await v3('POST', '/v3/user/webhooks/event/settings', 'full-access', {
      url: receiver.url,
      enabled: true,
      processed: true,
      delivered: true,
      bounce: true,
      friendly_name: 'Our service',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ url: receiver.url, enabled: true, delivered: true, spam_report: false });
    const id = String(created.json.id);
    expect((await v3('GET', `/v3/user/webhooks/event/settings/signed/${id}`, 'full-access')).json).toEqual({
      id,
      public_key: '',
    });
    const signed = await v3('PATCH', `/v3/user/webhooks/event/settings/signed/${id}`, 'full-access', { enabled: true });
    expect(signed.status).toBe(200);
    const publicKey = String(signed.json.public_key);
    expect(publicKey).toBe(sandbox.eventWebhook('acme')?.publicKey);
    const all = await v3('GET', '/v3/user/webhooks/event/settings/all', 'full-access');
    expect(all.json).toMatchObject({ max_allowed: 1, webhooks: [{ id, public_key: publicKey }] });

    await sendMail(['jane@customer.example', 'spam@customer.example'], { messageId: 'm-10' });
    await sandbox.flushEventWebhooks();
    const [post] = receiver.posts;
    if (!post) throw new Error('nothing was posted');
    expect(verifies(post, publicKey)).toBe(true);
    // spam_report is off for this webhook, so no spamreport event.
    expect(eventsOf(post).map((event) => event.event)).toEqual(['processed', 'delivered', 'processed', 'delivered']);
  });

  it('judges bodies by SendGrid’s document, checks scopes and ids, and keeps one webhook per account', async () => {
    const noUrl = await v3('POST', '/v3/user/webhooks/event/settings', 'full-access', { enabled: true });
    expect(noUrl.status).toBe(400);
    expect(noUrl.json).toEqual({ errors: [{ field: 'url', message: 'The url field is required.', help: null }] });
    const badType = await v3('POST', '/v3/user/webhooks/event/settings', 'full-access', {
      url: receiver.url,
      enabled: 'yes',
    });
    expect((badType.json.errors as Array<{ field: string }>)[0]?.field).toBe('enabled');
    const restricted = await v3('POST', '/v3/user/webhooks/event/settings', 'good', { url: receiver.url });
    expect(restricted.status).toBe(403);
    const created = await v3('POST', '/v3/user/webhooks/event/settings', 'full-access', { url: receiver.url });
    expect(created.status).toBe(201);
    const second = await v3('POST', '/v3/user/webhooks/event/settings', 'full-access', { url: `${receiver.url}-2` });
    expect(second.status).toBe(400);
    const wrongId = await v3('GET', '/v3/user/webhooks/event/settings/not-this-one', 'full-access');
    expect(wrongId).toEqual({ status: 404, json: { errors: [{ field: null, message: 'Invalid id provided.' }] } });
    const id = String(created.json.id);
    const patched = await v3('PATCH', `/v3/user/webhooks/event/settings/${id}`, 'full-access', {
      url: receiver.url,
      friendly_name: null,
      enabled: true,
    });
    expect(patched.json).toMatchObject({ id, enabled: true, friendly_name: null });
    expect((await v3('DELETE', `/v3/user/webhooks/event/settings/${id}`, 'full-access')).status).toBe(204);
    expect(sandbox.eventWebhook('acme')).toBeUndefined();
  });
});
