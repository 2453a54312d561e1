import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
let receiver: Server;
let receiverUrl: string;
const posts: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];

beforeAll(async () => {
  service = await startLocalService();
  // A stand-in for the webhook route another piece of the service will provide.
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      posts.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/sendgrid/e2e`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  await service?.close();
});

describe('SendGrid sandbox Event Webhook behind the send path', () => {
  it('reports a published send back as signed events that carry our messageId and the tenant', async () => {
    const tenantId = 'webhook-tenant';
    expect((await service.as(tenantId).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(
      201,
    );
    const { publicKey } = service.sandbox.setEventWebhook('acme', { url: receiverUrl });
    const messageId = `webhook-${Date.now()}`;
    const published = await service.as(undefined).call('POST', '/local/events', {
      Entries: [
        {
          Source: 'app.automations',
          DetailType: 'Email Send Requested',
          Detail: JSON.stringify({
            tenantId,
            messageId,
            audience: 'customer',
            to: [{ email: 'jane@customer.example' }, { email: 'bounce@customer.example' }],
            subject: 'Your invoice',
            text: 'Hello',
            customArgs: { orderId: '42' },
          }),
        },
      ],
    });
    expect((published.body as { Entries: Array<{ outcome: string }> }).Entries[0]?.outcome).toBe('sent');

    await service.sandbox.flushEventWebhooks();
    expect(posts.length).toBeGreaterThan(0);
    const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    for (const post of posts) {
      const signed = Buffer.concat([
        Buffer.from(String(post.headers['x-twilio-email-event-webhook-timestamp'])),
        post.body,
      ]);
      const signature = Buffer.from(String(post.headers['x-twilio-email-event-webhook-signature']), 'base64');
      expect(verify('sha256', signed, key, signature)).toBe(true);
    }
    const events = posts.flatMap((post) => JSON.parse(post.body.toString('utf8')) as Array<Record<string, unknown>>);
    expect(events.map((event) => [event.email, event.event])).toEqual([
      ['jane@customer.example', 'processed'],
      ['jane@customer.example', 'delivered'],
      ['bounce@customer.example', 'processed'],
      ['bounce@customer.example', 'bounce'],
    ]);
    for (const event of events) expect(event).toMatchObject({ messageId, tenantId, orderId: '42' });
  });
});
