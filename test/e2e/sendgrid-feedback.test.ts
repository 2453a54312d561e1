import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSigningKey, signPayload } from '../../local/sendgrid-sandbox/webhook-signing.js';
import { type ApiAnswer, type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
const owner = 'feedback-owner';
const neighbour = 'feedback-neighbour';
let ownerUrl: string;
let neighbourUrl: string;

/** The sandbox's control API for an account's Event Webhook (what SendGrid's settings page does). */
async function sandboxWebhook(accountId: string, body: Record<string, unknown>): Promise<{ publicKey: string }> {
  const answer = await fetch(`${service.sandbox.globalUrl}/__sandbox/accounts/${accountId}/event-webhook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await answer.json()) as { publicKey: string };
}

async function publish(tenantId: string, messageId: string, to: string): Promise<void> {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: [
      {
        Source: 'app.automations',
        DetailType: 'Email Send Requested',
        Detail: JSON.stringify({
          tenantId,
          messageId,
          audience: 'customer',
          to: [{ email: to }],
          subject: 'Hi',
          text: 'Hi',
        }),
      },
    ],
  });
  expect((answer.body as { Entries: Array<{ outcome: string }> }).Entries[0]?.outcome).toBe('sent');
}

const drain = () => service.as(undefined).call('POST', '/local/feedback/drain');
const message = (tenantId: string, messageId: string) => service.as(tenantId).call('GET', `/messages/${messageId}`);

/** Posts a batch to a webhook URL, signed with `privateKey` as SendGrid signs (or not at all). */
async function post(
  url: string,
  events: Array<Record<string, unknown>>,
  options: {
    accountId?: string;
    privateKey?: ReturnType<typeof accountSigningKey>['privateKey'];
    skewSeconds?: number;
    tamper?: boolean;
  } = {},
): Promise<ApiAnswer> {
  const body = Buffer.from(JSON.stringify(events));
  const timestamp = String(Math.floor(Date.now() / 1000) - (options.skewSeconds ?? 0));
  const privateKey = options.privateKey ?? accountSigningKey(options.accountId ?? 'acme').privateKey;
  const sent = options.tamper ? Buffer.from(body.toString().replace('delivered', 'bounce')) : body;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'X-Twilio-Email-Event-Webhook-Signature': signPayload(privateKey, timestamp, body),
      'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
    },
    body: sent,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    body: text ? (JSON.parse(text) as ApiAnswer['body']) : {},
    text,
  };
}

const deliveredEvent = (messageId: string, eventId: string, extra: Record<string, unknown> = {}) => ({
  email: 'jane@customer.example',
  timestamp: Math.floor(Date.now() / 1000),
  event: 'delivered',
  sg_event_id: eventId,
  sg_message_id: 'sandbox.1',
  messageId,
  ...extra,
});

beforeAll(async () => {
  service = await startLocalService();
  expect((await service.as(owner).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
  expect(
    (await service.as(neighbour).save(service.sandbox.key('other-account').apiKey, ['info@globex.example'])).status,
  ).toBe(201);
  // As a tenant does: turn on the Event Webhook with signing in SendGrid, paste its key here, paste our URL there.
  const acme = await sandboxWebhook('acme', { url: 'http://127.0.0.1:9/placeholder' });
  ownerUrl = String(
    (await service.as(owner).call('PUT', '/integrations/sendgrid/event-webhook', { publicKey: acme.publicKey })).body
      .url,
  );
  await sandboxWebhook('acme', { url: ownerUrl });
  const globex = await sandboxWebhook('globex', { url: 'http://127.0.0.1:9/placeholder' });
  neighbourUrl = String(
    (await service.as(neighbour).call('PUT', '/integrations/sendgrid/event-webhook', { publicKey: globex.publicKey }))
      .body.url,
  );
  await sandboxWebhook('globex', { url: neighbourUrl });
});
afterAll(async () => {
  await service?.close();
});

describe('SendGrid Event Webhook → feedback queue → message status', () => {
  it('shows delivered, bounced (hard) and complained with their timelines, for the owner only', async () => {
    const run = Date.now();
    const ids = { delivered: `fb-ok-${run}`, bounced: `fb-bounce-${run}`, complained: `fb-spam-${run}` };
    await publish(owner, ids.delivered, 'jane@customer.example');
    await publish(owner, ids.bounced, 'bounce@customer.example');
    await publish(owner, ids.complained, 'spam@customer.example');
    const deliveries = await service.sandbox.flushEventWebhooks();
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((delivery) => delivery.status === 204)).toBe(true);
    await drain();

    const delivered = await message(owner, ids.delivered);
    expect(delivered.body).toMatchObject({
      status: 'delivered',
      recipients: [{ email: 'jane@customer.example', status: 'delivered' }],
    });
    expect((delivered.body.timeline as Array<{ type: string }>).map((entry) => entry.type)).toEqual([
      'processed',
      'delivered',
    ]);
    const bounced = await message(owner, ids.bounced);
    expect(bounced.body).toMatchObject({
      status: 'bounced',
      bounceType: 'hard',
      recipients: [{ email: 'bounce@customer.example', status: 'bounced', bounceType: 'hard' }],
    });
    expect(bounced.body.timeline).toEqual([
      expect.objectContaining({ type: 'processed', recipient: 'bounce@customer.example' }),
      expect.objectContaining({
        type: 'bounced',
        bounceType: 'hard',
        reason: expect.stringContaining('550 5.1.1'),
      }),
    ]);
    const complained = await message(owner, ids.complained);
    expect(complained.body.status).toBe('complained');
    expect((complained.body.timeline as Array<{ type: string }>).map((entry) => entry.type)).toEqual([
      'processed',
      'delivered',
      'complained',
    ]);

    const webhook = await service.as(owner).call('GET', '/integrations/sendgrid/event-webhook');
    expect(webhook.body.lastEventAt).toEqual(expect.any(String));
    expect((await message(neighbour, ids.bounced)).status).toBe(404);
  });

  it('suppresses a hard-bounced and a complaining address for that tenant only, holds the next send to them back, and announces each delivery update', async () => {
    const run = Date.now();
    const before = Number((await service.as(undefined).call('GET', '/local/published-events')).body.lastSequence);
    const bounce = `bounce@c${run}.example`;
    const spam = `spam@c${run}.example`;
    const ids = { ok: `sup-ok-${run}`, bounced: `sup-bounce-${run}`, complained: `sup-spam-${run}` };
    await publish(owner, ids.ok, `jane-${run}@customer.example`);
    await publish(owner, ids.bounced, bounce);
    await publish(owner, ids.complained, spam);
    await service.sandbox.flushEventWebhooks();
    await drain();

    const list = await service.as(owner).call('GET', '/suppressions');
    const entries = (list.body.suppressions as Array<{ email: string; reason: string; messageId: string }>).filter(
      (entry) => entry.email.endsWith(`@c${run}.example`),
    );
    expect(entries.sort((a, b) => a.email.localeCompare(b.email))).toEqual([
      expect.objectContaining({ email: bounce, reason: 'hard_bounce', messageId: ids.bounced }),
      expect.objectContaining({ email: spam, reason: 'complaint', messageId: ids.complained }),
    ]);
    const neighbours = await service.as(neighbour).call('GET', '/suppressions');
    expect(JSON.stringify(neighbours.body)).not.toContain(`@c${run}.example`);

    const calls = service.sandbox.messages().length;
    const again = `sup-again-${run}`;
    const answer = await service.as(undefined).call('POST', '/local/events', {
      Entries: [
        {
          Source: 'app.automations',
          DetailType: 'Email Send Requested',
          Detail: JSON.stringify({
            tenantId: owner,
            messageId: again,
            audience: 'customer',
            to: [{ email: bounce }],
            subject: 'Hi',
            text: 'Hi',
          }),
        },
      ],
    });
    expect(answer.status).toBe(200);
    expect(service.sandbox.messages().length).toBe(calls);
    expect((await message(owner, again)).body.status).toBe('suppressed');

    const events = (await service.as(undefined).call('GET', `/local/published-events?since=${before}`)).body
      .events as Array<{ detailType: string; detail: { messageId: string; status: string } }>;
    const updates = events
      .filter((event) => event.detailType === 'Email Delivery Updated')
      .map((event) => [event.detail.messageId, event.detail.status]);
    expect(updates).toEqual(
      expect.arrayContaining([
        [ids.ok, 'delivered'],
        [ids.bounced, 'bounced'],
        [ids.complained, 'complained'],
      ]),
    );
  });

  it('refuses a forged body, a wrong key, a stale timestamp and another tenant’s URL alike, changing nothing', async () => {
    const messageId = `fb-guarded-${Date.now()}`;
    await sandboxWebhook('acme', { url: ownerUrl, enabled: false });
    await publish(owner, messageId, 'jane@customer.example');
    const before = await message(owner, messageId);
    const events = [deliveredEvent(messageId, `guard-${messageId}`)];
    const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

    const refused = [
      await post(ownerUrl, events, { tamper: true }),
      await post(ownerUrl, events, { privateKey: stranger }),
      await post(ownerUrl, events, { accountId: 'globex' }),
      await post(ownerUrl, events, { skewSeconds: 6 * 60 }),
      await post(neighbourUrl, events, { accountId: 'acme' }),
      await post(`${service.runtime.url}/webhooks/sendgrid/${'x'.repeat(32)}`, events),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual(refused[0]?.body);
    }
    expect(refused[0]?.body.code).toBe('webhook_forbidden');

    // Correctly signed by the neighbour's own SendGrid, but naming the owner's message: unknown there.
    expect((await post(neighbourUrl, events, { accountId: 'globex' })).status).toBe(204);
    await drain();
    expect((await message(owner, messageId)).body).toEqual(before.body);
  });

  it('applies a batch SendGrid posts twice only once', async () => {
    const messageId = `fb-twice-${Date.now()}`;
    await sandboxWebhook('acme', { url: ownerUrl, enabled: false });
    await publish(owner, messageId, 'jane@customer.example');
    const events = [
      deliveredEvent(messageId, `deferred-${messageId}`, {
        event: 'deferred',
        response: '451 try later',
        attempt: '1',
      }),
    ];
    expect((await post(ownerUrl, events)).status).toBe(204);
    expect((await post(ownerUrl, events)).status).toBe(204);
    await drain();
    expect((await post(ownerUrl, events)).status).toBe(204);
    await drain();
    const answer = await message(owner, messageId);
    expect(answer.body.status).toBe('deferred');
    expect(answer.body.timeline).toEqual([expect.objectContaining({ type: 'deferred', reason: '451 try later' })]);
  });

  it('retries what follows from a bounce until the bus takes it: the batch comes back and the update is announced once', async () => {
    const run = Date.now();
    const messageId = `fb-retry-${run}`;
    const address = `bounce@r${run}.example`;
    await sandboxWebhook('acme', { url: ownerUrl, enabled: false });
    await publish(owner, messageId, address);
    const since = Number((await service.as(undefined).call('GET', '/local/published-events')).body.lastSequence);
    // The bus refuses the announcement on every one of the publisher's attempts during the first delivery.
    service.runtime.eventBus?.refuseNext(3);
    const bounce = deliveredEvent(messageId, `bounce-${messageId}`, {
      email: address,
      event: 'bounce',
      type: 'bounce',
      reason: '550 5.1.1 user unknown',
    });
    expect((await post(ownerUrl, [bounce])).status).toBe(204);

    const updates = async () =>
      (
        (await service.as(undefined).call('GET', `/local/published-events?since=${since}`)).body.events as Array<{
          detailType: string;
          detail: { messageId: string; status: string; eventId: string };
        }>
      ).filter((event) => event.detailType === 'Email Delivery Updated' && event.detail.messageId === messageId);
    for (let attempt = 0; attempt < 20 && (await updates()).length === 0; attempt += 1) {
      await drain();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await updates()).map((event) => event.detail.status)).toEqual(['bounced']);
    expect((await message(owner, messageId)).body).toMatchObject({ status: 'bounced', bounceType: 'hard' });
    const list = await service.as(owner).call('GET', '/suppressions');
    expect(
      (list.body.suppressions as Array<{ email: string }>).filter((entry) => entry.email === address),
    ).toHaveLength(1);
    // Later deliveries find nothing left to do: still announced once, nothing dead-lettered.
    await drain();
    expect(await updates()).toHaveLength(1);
    expect((await service.as(undefined).call('GET', '/local/feedback/dead-letters')).body.messages).toEqual([]);
  });

  it('answers 413 for a body larger than an Event Webhook batch, and 400 for one that is not JSON', async () => {
    const huge = await fetch(ownerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `[${'"x",'.repeat(250_000)}"x"]`,
    });
    expect(huge.status).toBe(413);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = Buffer.from('[{"event":');
    const malformed = await fetch(ownerUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-Twilio-Email-Event-Webhook-Signature': signPayload(accountSigningKey('acme').privateKey, timestamp, body),
        'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
      },
      body,
    });
    expect(malformed.status).toBe(400);
  });
});
