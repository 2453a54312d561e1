import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  await service?.close();
});

/** Publishes one send request on the local bus; the entry's outcome. */
async function publish(tenantId: string, messageId: string, to: string[]) {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: [
      {
        Source: 'app.automations',
        DetailType: 'Email Send Requested',
        Detail: JSON.stringify({
          tenantId,
          messageId,
          audience: 'customer',
          to: to.map((email) => ({ email })),
          subject: 'Hello',
          text: 'Hello',
        }),
      },
    ],
  });
  return (answer.body as { Entries: Array<{ outcome: string }> }).Entries[0]?.outcome;
}

/** Messages the sandbox accepted for a messageId (our custom arg). */
const accepted = (messageId: string) =>
  service.sandbox.messages().filter((message) => JSON.stringify(message).includes(`"messageId":"${messageId}"`));

describe('GET, PUT and DELETE /suppressions', () => {
  const tenant = 'suppress-routes';

  it('adds an address by hand (201), normalised; adding it again answers the entry as it is (200)', async () => {
    const first = await service.as(tenant).call('PUT', '/suppressions/Jane.Doe%40Customer.Example');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ email: 'jane.doe@customer.example', reason: 'manual', messageId: null });
    const again = await service.as(tenant).call('PUT', '/suppressions/jane.doe@customer.example');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('refuses a malformed address with a 422 problem naming what a valid one looks like', async () => {
    const answer = await service.as(tenant).call('PUT', '/suppressions/not-an-address');
    expect(answer.status).toBe(422);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'invalid_email', field: 'email' });
    expect(String(answer.body.detail)).toContain('jane@example.com');
  });

  it('lists the tenant’s addresses a page at a time', async () => {
    await service.as(tenant).call('PUT', '/suppressions/another@customer.example');
    const first = await service.as(tenant).call('GET', '/suppressions?limit=1');
    expect(first.status).toBe(200);
    expect((first.body.suppressions as Array<{ email: string }>).map((entry) => entry.email)).toEqual([
      'another@customer.example',
    ]);
    const second = await service
      .as(tenant)
      .call('GET', `/suppressions?limit=1&cursor=${encodeURIComponent(String(first.body.nextCursor))}`);
    expect((second.body.suppressions as Array<{ email: string }>).map((entry) => entry.email)).toEqual([
      'jane.doe@customer.example',
    ]);
    const bad = await service.as(tenant).call('GET', '/suppressions?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid_request', field: 'limit' });
  });

  it('shows a tenant only its own list, and another tenant cannot remove from it', async () => {
    const other = await service.as('suppress-other').call('GET', '/suppressions');
    expect(other.body.suppressions).toEqual([]);
    const removal = await service.as('suppress-other').call('DELETE', '/suppressions/another@customer.example');
    expect(removal.status).toBe(404);
    expect(removal.body).toMatchObject({ code: 'suppression_not_found' });
  });

  it('removes an address (204), and 404 once it is gone', async () => {
    expect((await service.as(tenant).call('DELETE', '/suppressions/ANOTHER@customer.example')).status).toBe(204);
    const again = await service.as(tenant).call('DELETE', '/suppressions/another@customer.example');
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('suppression_not_found');
  });
});

describe('Sending to suppressed addresses', () => {
  const tenant = 'suppress-send';

  beforeAll(async () => {
    expect((await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    expect((await service.as(tenant).call('PUT', '/suppressions/held@customer.example')).status).toBe(201);
  });

  it('ends a send to only suppressed addresses as suppressed, with no provider call', async () => {
    expect(await publish(tenant, 'suppressed-1', ['Held@Customer.example'])).toBe('suppressed');
    expect(accepted('suppressed-1')).toHaveLength(0);
    const message = await service.as(tenant).call('GET', '/messages/suppressed-1');
    expect(message.body).toMatchObject({ status: 'suppressed', suppressedRecipients: ['held@customer.example'] });
  });

  it('sends to the others and records the suppressed one on the message', async () => {
    expect(await publish(tenant, 'suppressed-2', ['held@customer.example', 'free@customer.example'])).toBe('sent');
    const sent = accepted('suppressed-2');
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0])).not.toContain('held@customer.example');
    const message = await service.as(tenant).call('GET', '/messages/suppressed-2');
    expect(message.body).toMatchObject({ status: 'accepted', suppressedRecipients: ['held@customer.example'] });
  });

  it('sends again once the address is taken off the list', async () => {
    expect((await service.as(tenant).call('DELETE', '/suppressions/held@customer.example')).status).toBe(204);
    expect(await publish(tenant, 'suppressed-3', ['held@customer.example'])).toBe('sent');
    expect(accepted('suppressed-3')).toHaveLength(1);
  });

  it('holds nothing back for a tenant that did not suppress the address', async () => {
    const other = 'suppress-send-other';
    expect((await service.as(other).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    expect((await service.as(tenant).call('PUT', '/suppressions/only-mine@customer.example')).status).toBe(201);
    expect(await publish(other, 'suppressed-4', ['only-mine@customer.example'])).toBe('sent');
  });
});
