import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  await service?.close();
});

/** The verification key SendGrid (the sandbox) shows for an account's signed Event Webhook, from its control API. */
async function sandboxVerificationKey(accountId: string, url: string): Promise<string> {
  const answer = await fetch(`${service.sandbox.globalUrl}/__sandbox/accounts/${accountId}/event-webhook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  return ((await answer.json()) as { publicKey: string }).publicKey;
}

describe('PUT/GET/DELETE /integrations/sendgrid/event-webhook', () => {
  it('registers SendGrid’s verification key and answers the URL to paste, kept when the key is replaced', async () => {
    const tenant = service.as('webhook-owner');
    const key = await sandboxVerificationKey('acme', 'http://127.0.0.1:9/not-yet');
    const registered = await tenant.call('PUT', '/integrations/sendgrid/event-webhook', { publicKey: key });
    expect(registered.status).toBe(201);
    const url = String(registered.body.url);
    expect(url).toMatch(new RegExp(`^${service.runtime.url}/webhooks/sendgrid/[A-Za-z0-9_-]{32}$`));
    expect(registered.body).toEqual({
      url,
      publicKeyFingerprint: expect.stringMatching(/^SHA256:/),
      lastEventAt: null,
    });
    expect((await tenant.call('GET', '/integrations/sendgrid/event-webhook')).body).toEqual(registered.body);

    const other = await sandboxVerificationKey('globex', 'http://127.0.0.1:9/other');
    const replaced = await tenant.call('PUT', '/integrations/sendgrid/event-webhook', { publicKey: other });
    expect(replaced.status).toBe(200);
    expect(replaced.body.url).toBe(url);
    expect(replaced.body.publicKeyFingerprint).not.toBe(registered.body.publicKeyFingerprint);
  });

  it('re-issues the URL on demand and forgets the registration on delete', async () => {
    const tenant = service.as('webhook-rotator');
    const key = await sandboxVerificationKey('acme', 'http://127.0.0.1:9/not-yet');
    const first = await tenant.call('PUT', '/integrations/sendgrid/event-webhook', { publicKey: key });
    const rotated = await tenant.call('POST', '/integrations/sendgrid/event-webhook/rotate-url');
    expect(rotated.status).toBe(200);
    expect(rotated.body.url).not.toBe(first.body.url);
    expect(rotated.body.publicKeyFingerprint).toBe(first.body.publicKeyFingerprint);
    expect((await tenant.call('GET', '/integrations/sendgrid/event-webhook')).body.url).toBe(rotated.body.url);

    expect((await tenant.call('DELETE', '/integrations/sendgrid/event-webhook')).status).toBe(204);
    const gone = await tenant.call('GET', '/integrations/sendgrid/event-webhook');
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('webhook_not_found');
    expect((await tenant.call('DELETE', '/integrations/sendgrid/event-webhook')).body.code).toBe('webhook_not_found');
  });

  it('refuses a key that is not SendGrid’s P-256 verification key with 422 and a plain fix', async () => {
    const tenant = service.as('webhook-typo');
    const refused = await tenant.call('PUT', '/integrations/sendgrid/event-webhook', { publicKey: 'SG.not-this-one' });
    expect(refused.status).toBe(422);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'invalid_webhook_key', field: 'publicKey' });
    expect(String(refused.body.detail)).toContain('Verification Key');
    expect((await tenant.call('GET', '/integrations/sendgrid/event-webhook')).status).toBe(404);
    expect((await tenant.call('PUT', '/integrations/sendgrid/event-webhook', {})).body.code).toBe('invalid_request');
  });

  it('shows and changes a tenant’s webhook only for that tenant', async () => {
    const owner = service.as('webhook-private');
    const key = await sandboxVerificationKey('acme', 'http://127.0.0.1:9/not-yet');
    const registered = await owner.call('PUT', '/integrations/sendgrid/event-webhook', { publicKey: key });
    const stranger = service.as('webhook-stranger');
    expect((await stranger.call('GET', '/integrations/sendgrid/event-webhook')).status).toBe(404);
    expect((await stranger.call('DELETE', '/integrations/sendgrid/event-webhook')).status).toBe(404);
    expect((await stranger.call('POST', '/integrations/sendgrid/event-webhook/rotate-url')).status).toBe(404);
    expect((await owner.call('GET', '/integrations/sendgrid/event-webhook')).body).toEqual(registered.body);
  });
});

describe('GET /messages/{messageId} recipients', () => {
  it('keeps every recipient with the message, for that tenant’s eyes only', async () => {
    const tenantId = 'recipients-tenant';
    expect((await service.as(tenantId).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(
      201,
    );
    const messageId = `recipients-${Date.now()}`;
    await service.as(undefined).call('POST', '/local/events', {
      Entries: [
        {
          Source: 'app.automations',
          DetailType: 'Email Send Requested',
          Detail: JSON.stringify({
            tenantId,
            messageId,
            audience: 'customer',
            to: [{ email: 'jane@customer.example' }],
            cc: [{ email: 'office@customer.example' }],
            subject: 'Hello',
            text: 'Hello',
          }),
        },
      ],
    });
    const message = await service.as(tenantId).call('GET', `/messages/${messageId}`);
    expect(message.body).toMatchObject({
      status: 'accepted',
      bounceType: null,
      recipients: [
        { email: 'jane@customer.example', status: 'accepted', bounceType: null, reason: null, at: null },
        { email: 'office@customer.example', status: 'accepted', bounceType: null, reason: null, at: null },
      ],
    });
    const stranger = await service.as('someone-else').call('GET', `/messages/${messageId}`);
    expect(stranger.status).toBe(404);
    expect(stranger.text).not.toContain('customer.example');
  });
});
