import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  await service?.close();
});

async function publish(tenantId: string, messageId: string, to: string, from?: string) {
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
          subject: 'Hello',
          text: 'Hello',
          // The send request's `from` is an address string (shared/sending/send-request.ts).
          ...(from ? { from } : {}),
        }),
      },
    ],
  });
  return (answer.body as { Entries: Array<{ outcome: string }> }).Entries[0]?.outcome;
}

describe('GET /messages and GET /messages/{messageId}', () => {
  const tenantId = 'history-tenant';

  beforeAll(async () => {
    expect((await service.as(tenantId).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(
      201,
    );
    expect(await publish(tenantId, 'history-1', 'jane@customer.example')).toBe('sent');
    expect(await publish(tenantId, 'history-2', 'joe@customer.example')).toBe('sent');
    expect(await publish(tenantId, 'history-3', 'ann@customer.example', 'someone@elsewhere.example')).toBe('failed');
  });

  it('lists the tenant’s messages newest first with their status', async () => {
    const answer = await service.as(tenantId).call('GET', '/messages');
    expect(answer.status).toBe(200);
    const messages = answer.body.messages as Array<{ messageId: string; status: string; failureCode: string | null }>;
    expect(messages.map((message) => message.messageId)).toEqual(['history-3', 'history-2', 'history-1']);
    expect(messages.map((message) => message.status)).toEqual(['failed', 'accepted', 'accepted']);
    // A sender the tenant did not register: refused as such, not as a malformed request.
    expect(messages[0]?.failureCode).toBe('sender_not_registered');
    expect(answer.body.nextCursor).toBeNull();
  });

  it('pages with limit and cursor and filters by status', async () => {
    const first = await service.as(tenantId).call('GET', '/messages?limit=2');
    expect((first.body.messages as unknown[]).length).toBe(2);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await service
      .as(tenantId)
      .call('GET', `/messages?limit=2&cursor=${encodeURIComponent(String(first.body.nextCursor))}`);
    expect((second.body.messages as Array<{ messageId: string }>).map((message) => message.messageId)).toEqual([
      'history-1',
    ]);
    const accepted = await service.as(tenantId).call('GET', '/messages?status=accepted');
    expect((accepted.body.messages as Array<{ messageId: string }>).map((message) => message.messageId)).toEqual([
      'history-2',
      'history-1',
    ]);
    const future = await service.as(tenantId).call('GET', '/messages?since=2999-01-01T00:00:00Z');
    expect(future.body.messages).toEqual([]);
  });

  it('fills a filtered page with limit matches spread among other messages, and continues from its cursor', async () => {
    const sparse = 'history-sparse';
    expect((await service.as(sparse).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    // Newest first: s-9 … s-1; s-7, s-4 and s-1 fail (a sender the tenant did not register).
    for (let n = 1; n <= 9; n += 1) {
      const fails = n % 3 === 1;
      expect(
        await publish(sparse, `s-${n}`, 'jane@customer.example', fails ? 'someone@elsewhere.example' : undefined),
      ).toBe(fails ? 'failed' : 'sent');
    }
    const first = await service.as(sparse).call('GET', '/messages?status=failed&limit=2');
    expect((first.body.messages as Array<{ messageId: string }>).map((message) => message.messageId)).toEqual([
      's-7',
      's-4',
    ]);
    expect((first.body.messages as Array<{ failureCode: string }>).map((message) => message.failureCode)).toEqual([
      'sender_not_registered',
      'sender_not_registered',
    ]);
    const second = await service
      .as(sparse)
      .call('GET', `/messages?status=failed&limit=2&cursor=${encodeURIComponent(String(first.body.nextCursor))}`);
    expect((second.body.messages as Array<{ messageId: string }>).map((message) => message.messageId)).toEqual(['s-1']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a bad status, limit or cursor with a problem naming the parameter', async () => {
    for (const [query, field] of [
      ['status=lost', 'status'],
      ['limit=0', 'limit'],
      ['limit=many', 'limit'],
      ['since=yesterday', 'since'],
      ['cursor=not-a-cursor', 'cursor'],
      ['colour=red', 'query'],
    ] as const) {
      const answer = await service.as(tenantId).call('GET', `/messages?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body.code).toBe('invalid_request');
      if (field !== 'query') expect(answer.body.field).toBe(field);
    }
  });

  it('refuses another tenant’s cursor', async () => {
    const first = await service.as(tenantId).call('GET', '/messages?limit=1');
    const answer = await service
      .as('other-tenant')
      .call('GET', `/messages?cursor=${encodeURIComponent(String(first.body.nextCursor))}`);
    expect(answer.status).toBe(400);
  });

  it('shows one message and answers 404 alike for an absent id and another tenant’s', async () => {
    const answer = await service.as(tenantId).call('GET', '/messages/history-1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ messageId: 'history-1', status: 'accepted', timeline: [] });
    // The recipients are the tenant's data (issue 13): shown to that tenant, to nobody else.
    expect(answer.body.recipients).toEqual([expect.objectContaining({ email: 'jane@customer.example' })]);
    const foreign = await service.as('other-tenant').call('GET', '/messages/history-1');
    expect(foreign.text).not.toContain('jane@customer.example');
    const absent = await service.as(tenantId).call('GET', '/messages/never-sent');
    expect(foreign.status).toBe(404);
    expect(absent.status).toBe(404);
    expect(foreign.body).toEqual(absent.body);
    expect((await service.as('other-tenant').call('GET', '/messages')).body.messages).toEqual([]);
  });
});
