import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AcceptedMessage } from '../../local/sendgrid-sandbox/index.js';
import { REDELIVERY_POLICY, redeliveryDelaySeconds } from '../../shared/sending/redelivery-policy.js';
import { sendKey } from '../../shared/sending/send-ledger.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
let tenantCounter = 0;

beforeAll(async () => {
  // Redeliveries wait what the consumer asks, capped so the file runs in seconds.
  process.env.LOCAL_QUEUE_MAX_DELAY_MS = '50';
  service = await startLocalService();
});
afterAll(() => service?.close());
beforeEach(() => service.sandbox.clearFaults());

const key = (name: string) => service.sandbox.key(name).apiKey;

/** A tenant of its own per test, with a saved integration for the given key and senders. */
async function connectedTenant(
  keyName = 'good',
  emails = ['info@acme.example', 'noreply@acme.example', 'sales@news.acme.example'],
): Promise<string> {
  tenantCounter += 1;
  const tenantId = `send-tenant-${tenantCounter}`;
  const saved = await service.as(tenantId).save(key(keyName), emails);
  expect(saved.status).toBe(201);
  return tenantId;
}

interface EntryResult {
  EventId?: string;
  outcome?: string;
  code?: string;
  detail?: string;
  providerMessageId?: string | null;
  deliveries?: number;
  redeliveryDelaysSeconds?: number[];
  ErrorCode?: string;
}

/** Publishes events the way the automations do (PutEvents) and returns each entry's outcome. */
async function publish(...details: Array<Record<string, unknown>>): Promise<EntryResult[]> {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: details.map((detail) => ({
      Source: 'app.automations',
      DetailType: 'Email Send Requested',
      Detail: JSON.stringify(detail),
    })),
  });
  expect(answer.status).toBe(200);
  return (answer.body as { Entries: EntryResult[] }).Entries;
}

let messageCounter = 0;
function sendRequest(tenantId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  messageCounter += 1;
  return {
    tenantId,
    messageId: `msg-${messageCounter}-${Date.now()}`,
    audience: 'customer',
    to: [{ email: 'jane@customer.example', name: 'Jane' }],
    subject: 'Your invoice',
    text: 'Hello Jane, your invoice is attached.',
    ...extra,
  };
}

/** The `from` of the one accepted mail carrying our messageId. */
function fromOf(messageId: unknown): unknown {
  const [message] = accepted(messageId);
  return (message?.body as { from?: unknown } | undefined)?.from;
}

/** The sandbox's accepted mail carrying our messageId. */
function accepted(messageId: unknown): AcceptedMessage[] {
  return service.sandbox
    .messages()
    .filter((message) =>
      (message.body as { personalizations: Array<{ custom_args?: Record<string, string> }> }).personalizations.some(
        (personalization) => personalization.custom_args?.messageId === messageId,
      ),
    );
}

describe('send pipeline: a good event', () => {
  it('arrives at SendGrid once, from info@, in SendGrid’s body shape', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId, {
      html: '<p>Hello Jane</p>',
      categories: ['invoice'],
      customArgs: { orderId: '42' },
    });
    const [result] = await publish(request);
    expect(result).toMatchObject({ outcome: 'sent', deliveries: 1 });
    const [message, ...others] = accepted(request.messageId);
    expect(others).toEqual([]);
    expect(result?.providerMessageId).toBe(message?.messageId);
    expect(message?.body).toEqual({
      personalizations: [
        {
          to: [{ email: 'jane@customer.example', name: 'Jane' }],
          custom_args: { orderId: '42', messageId: request.messageId, tenantId },
        },
      ],
      from: { email: 'info@acme.example' },
      subject: 'Your invoice',
      content: [
        { type: 'text/plain', value: 'Hello Jane, your invoice is attached.' },
        { type: 'text/html', value: '<p>Hello Jane</p>' },
      ],
      categories: ['invoice'],
    });
  });

  it('sends internal mail from noreply@ and honours an explicit registered from (any case)', async () => {
    const tenantId = await connectedTenant();
    const internal = sendRequest(tenantId, { audience: 'internal' });
    const explicit = sendRequest(tenantId, { from: 'Sales@News.Acme.Example', fromName: 'Acme Sales' });
    const results = await publish(internal, explicit);
    expect(results.map((result) => result.outcome)).toEqual(['sent', 'sent']);
    expect(fromOf(internal.messageId)).toEqual({
      email: 'noreply@acme.example',
    });
    expect(fromOf(explicit.messageId)).toEqual({
      email: 'sales@news.acme.example',
      name: 'Acme Sales',
    });
  });

  it('sends an EU tenant’s mail through the EU host', async () => {
    const tenantId = await connectedTenant('eu', ['info@euro.example']);
    const request = sendRequest(tenantId);
    expect((await publish(request))[0]?.outcome).toBe('sent');
    expect(accepted(request.messageId)).toEqual([expect.objectContaining({ region: 'eu', accountId: 'euro' })]);
  });

  it('ignores events the rule does not match, as EventBridge does', async () => {
    const answer = await service.as(undefined).call('POST', '/local/events', {
      Entries: [{ Source: 'app.billing', DetailType: 'Email Send Requested', Detail: '{}' }],
    });
    expect((answer.body as { Entries: EntryResult[] }).Entries[0]?.outcome).toBe('not_matched');
  });
});

describe('send pipeline: a replaced key', () => {
  it('sends with the new key right after a delete and a save of another key, never the deleted one', async () => {
    const tenantId = await connectedTenant('good');
    const before = sendRequest(tenantId);
    expect((await publish(before))[0]).toMatchObject({ outcome: 'sent' });
    expect(accepted(before.messageId)[0]?.keyId).toBe(service.sandbox.key('good').keyId);

    expect((await service.as(tenantId).remove()).status).toBe(204);
    expect((await service.as(tenantId).save(key('good-second'), ['info@acme.example'])).status).toBe(201);
    const after = sendRequest(tenantId);

    expect((await publish(after))[0]).toMatchObject({ outcome: 'sent' });
    expect(accepted(after.messageId)[0]?.keyId).toBe(service.sandbox.key('good-second').keyId);
  });
});

describe('send pipeline: recipients’ privacy', () => {
  it('keeps recipient addresses out of stored failure details and log lines, naming field and index', async () => {
    const tenantId = await connectedTenant();
    const secret = `secret-recipient-${Date.now()}@customer.example`;
    const lines: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      }),
    );
    try {
      const duplicate = sendRequest(tenantId, { to: [{ email: secret }], bcc: [{ email: secret.toUpperCase() }] });
      const badCc = sendRequest(tenantId, { to: [{ email: secret }], cc: [{ email: `${secret}>` }] });
      const unregistered = sendRequest(tenantId, { to: [{ email: secret }], from: 'nobody@acme.example' });
      const [duplicateResult, badCcResult, unregisteredResult] = await publish(duplicate, badCc, unregistered);
      expect(duplicateResult).toMatchObject({ outcome: 'failed', code: 'invalid_event' });
      expect(duplicateResult?.detail).toContain('bcc.0.email');
      expect(badCcResult).toMatchObject({ outcome: 'failed', code: 'invalid_event' });
      expect(badCcResult?.detail).toContain('cc.0.email');
      expect(unregisteredResult).toMatchObject({ outcome: 'failed', code: 'sender_not_registered' });
      for (const status of [400, 500]) {
        service.sandbox.injectFault({ path: '/v3/mail/send', status, times: 1 });
        expect((await publish(sendRequest(tenantId, { to: [{ email: secret }] })))[0]?.outcome).toBe('failed');
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const { Items = [] } = await service
      .documents()
      .send(new ScanCommand({ TableName: service.runtime.dynamoDb.tables.sendLedger as string }));
    // Recipients are kept on purpose, in their own attribute, for the tenant's eyes (GET /messages/{id}); nowhere else.
    const stored = JSON.stringify(
      Items.filter((item) => item.tenantId === tenantId).map(({ recipients: _recipients, ...rest }) => rest),
    );
    expect(stored).toContain('failureDetail');
    expect(stored.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(lines.join('')).toContain('send failed permanently');
    expect(lines.join('').toLowerCase()).not.toContain(secret.toLowerCase());
  });
});

describe('send pipeline: rules checked before SendGrid is called', () => {
  it.each([
    ['an unregistered from', { from: 'ceo@acme.example' }, 'sender_not_registered'],
    ['internal mail from info@', { audience: 'internal', from: 'info@acme.example' }, 'sender_not_registered'],
    ['no recipients', { to: [] }, 'invalid_event'],
    ['no body', { text: undefined }, 'invalid_event'],
    ['a subject with a line break', { subject: 'Hi\r\nBcc: victim@example.com' }, 'invalid_event'],
    [
      'more than 1,000 recipients',
      { to: Array.from({ length: 1_001 }, (_, index) => ({ email: `r${index}@customer.example` })) },
      'invalid_event',
    ],
  ])('refuses %s permanently, without calling SendGrid', async (_name, change, code) => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId, change);
    const before = service.sandbox.messages().length;
    const [result] = await publish(request);
    expect(result).toMatchObject({ outcome: 'failed', code, deliveries: 1 });
    expect(result?.detail).toBeTruthy();
    expect(service.sandbox.messages()).toHaveLength(before);
  });

  it('refuses internal mail when no noreply@ is registered, and a tenant without integration', async () => {
    const tenantId = await connectedTenant('good', ['info@acme.example']);
    const [internal, stranger] = await publish(
      sendRequest(tenantId, { audience: 'internal' }),
      sendRequest('tenant-without-integration'),
    );
    expect(internal).toMatchObject({ outcome: 'failed', code: 'sender_not_registered' });
    expect(stranger).toMatchObject({ outcome: 'failed', code: 'no_integration' });
  });

  it('records a permanent failure with its reason in the send ledger', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId, { from: 'nobody@acme.example' });
    await publish(request);
    const documents = service.documents();
    const { Item } = await documents.send(
      new GetCommand({
        TableName: service.runtime.dynamoDb.tables.sendLedger,
        Key: { sendKey: sendKey(tenantId, String(request.messageId)) },
      }),
    );
    expect(Item).toMatchObject({ state: 'failed', failureCode: 'sender_not_registered', tenantId });
    expect(String(Item?.failureDetail)).toContain('nobody@acme.example');
  });
});

describe('send pipeline: no duplicates', () => {
  it('sends an event delivered twice exactly once', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId);
    const [first, sameBatch] = await publish(request, request);
    const [later] = await publish(request);
    expect([first?.outcome, sameBatch?.outcome, later?.outcome].sort()).toEqual(['duplicate', 'duplicate', 'sent']);
    expect(accepted(request.messageId)).toHaveLength(1);
  });

  it('sends an event retried after a SendGrid 503 exactly once', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId);
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 503, times: 1 });
    const [result] = await publish(request);
    expect(result).toMatchObject({ outcome: 'sent', deliveries: 2 });
    expect(accepted(request.messageId)).toHaveLength(1);
  });

  it('waits for SendGrid’s rate-limit reset after a 429, then sends once', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId);
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 429, resetInSeconds: 30, times: 1 });
    const [result] = await publish(request);
    expect(result).toMatchObject({ outcome: 'sent', deliveries: 2 });
    const [delay] = result?.redeliveryDelaysSeconds ?? [];
    expect(delay).toBeGreaterThanOrEqual(29);
    expect(delay).toBeLessThanOrEqual(Math.max(31, redeliveryDelaySeconds(1)));
    expect(accepted(request.messageId)).toHaveLength(1);
  });

  it('does not resend when the connection broke after the request left (outcome unknown)', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId);
    service.sandbox.injectFault({ path: '/v3/mail/send', kind: 'reset', times: 1 });
    const [result] = await publish(request);
    expect(result).toMatchObject({ outcome: 'failed', code: 'delivery_unknown', deliveries: 1 });
    const [redelivered] = await publish(request);
    expect(redelivered?.outcome).toBe('duplicate');
    expect(accepted(request.messageId)).toHaveLength(0);
  });

  it('never resends after a 500, 502 or 504: the request may have reached SendGrid (delivery_unknown)', async () => {
    const tenantId = await connectedTenant();
    for (const status of [500, 502, 504]) {
      const request = sendRequest(tenantId);
      service.sandbox.injectFault({ path: '/v3/mail/send', status, times: 1 });
      const [result] = await publish(request);
      expect(result).toMatchObject({ outcome: 'failed', code: 'delivery_unknown', deliveries: 1 });
      expect((await publish(request))[0]?.outcome).toBe('duplicate');
      expect(accepted(request.messageId)).toHaveLength(0);
    }
  });

  it('retries a send refused once with 401 when the same key still works, and leaves the card active', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId);
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 401, times: 1 });
    const [result] = await publish(request);
    expect(result).toMatchObject({ outcome: 'sent', deliveries: 2 });
    expect(accepted(request.messageId)).toHaveLength(1);
    expect((await service.as(tenantId).card()).body).toMatchObject({ status: 'active' });
  });

  it('moves an event that keeps failing to the dead-letter queue after the policy’s deliveries and backoff', async () => {
    const tenantId = await connectedTenant();
    const request = sendRequest(tenantId);
    const { maxReceiveCount, backoffSeconds } = REDELIVERY_POLICY;
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 503, times: maxReceiveCount });
    const [result] = await publish(request);
    expect(result).toMatchObject({ outcome: 'dead_lettered', code: 'transient', deliveries: maxReceiveCount });
    expect(result?.redeliveryDelaysSeconds).toEqual([...backoffSeconds, 0]);
    const dead = await service.as(undefined).call('GET', '/local/dead-letters');
    expect(JSON.stringify(dead.body)).toContain(String(request.messageId));
    // Redriven from the dead-letter queue once SendGrid is back: sent, and only once.
    expect((await publish(request))[0]?.outcome).toBe('sent');
    expect(accepted(request.messageId)).toHaveLength(1);
  });
});

describe('send pipeline: what SendGrid’s refusals do', () => {
  it('fails a message SendGrid rejects as invalid (400, 413) without retrying', async () => {
    const tenantId = await connectedTenant();
    for (const status of [400, 413]) {
      service.sandbox.injectFault({ path: '/v3/mail/send', status, times: 1 });
      const [result] = await publish(sendRequest(tenantId));
      expect(result).toMatchObject({ outcome: 'failed', code: 'message_rejected', deliveries: 1 });
    }
  });

  it('turns the card to key_rejected when SendGrid rejects a revoked key, and stops sending', async () => {
    const tenantId = await connectedTenant('good-second', ['info@acme.example']);
    service.sandbox.revokeKey(service.sandbox.key('good-second').keyId);
    try {
      const [result] = await publish(sendRequest(tenantId));
      expect(result).toMatchObject({ outcome: 'failed', code: 'key_rejected' });
      const card = await service.as(tenantId).card();
      expect(card.body).toMatchObject({ status: 'key_rejected' });
      expect(String(card.body.lastSendError)).toContain('revoked');

      const before = service.sandbox.messages().length;
      const [next] = await publish(sendRequest(tenantId));
      expect(next).toMatchObject({ outcome: 'failed', code: 'key_rejected' });
      expect(service.sandbox.messages()).toHaveLength(before);

      // Rotating in a working key makes the integration active again.
      const rotated = await service.as(tenantId).rotate(key('good'));
      expect(rotated.body).toMatchObject({ status: 'active', lastSendError: null });
      expect((await publish(sendRequest(tenantId)))[0]?.outcome).toBe('sent');
    } finally {
      service.sandbox.reset();
    }
  });

  it('turns the card to sender_rejected when SendGrid refuses the from address (403 on from)', async () => {
    const tenantId = await connectedTenant();
    service.sandbox.setDomainValid('acme', 'news.acme.example', false);
    try {
      const request = sendRequest(tenantId, { from: 'sales@news.acme.example' });
      const [result] = await publish(request);
      expect(result).toMatchObject({ outcome: 'failed', code: 'sender_rejected', deliveries: 1 });
      expect(result?.detail).toContain('verified Sender Identity');
      expect(accepted(request.messageId)).toHaveLength(0);
      expect((await service.as(tenantId).card()).body).toMatchObject({ status: 'sender_rejected' });
    } finally {
      service.sandbox.setDomainValid('acme', 'news.acme.example', true);
    }
  });

  it('treats a 403 that is not about the sender as a rejected key', async () => {
    const tenantId = await connectedTenant();
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 403, times: 1 });
    const [result] = await publish(sendRequest(tenantId));
    expect(result).toMatchObject({ outcome: 'failed', code: 'key_rejected' });
    expect((await service.as(tenantId).card()).body).toMatchObject({ status: 'key_rejected' });
  });
});

describe('test send: POST /integrations/sendgrid/test', () => {
  it('sends a test message now, in sandbox mode when asked', async () => {
    const tenantId = await connectedTenant();
    const answer = await service.as(tenantId).call('POST', '/integrations/sendgrid/test', {
      to: 'me@customer.example',
      sandbox: true,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      outcome: 'accepted',
      from: 'info@acme.example',
      to: 'me@customer.example',
      sandbox: true,
    });
    const message = service.sandbox.messages().find((entry) => entry.messageId === answer.body.providerMessageId);
    expect(message).toMatchObject({ sandboxMode: true });
  });

  it('answers problems for an unregistered sender, no integration and a bad body', async () => {
    const tenantId = await connectedTenant();
    const unregistered = await service.as(tenantId).call('POST', '/integrations/sendgrid/test', {
      to: 'me@customer.example',
      from: 'ceo@acme.example',
    });
    expect(unregistered.status).toBe(422);
    expect(unregistered.contentType).toContain('application/problem+json');
    expect(unregistered.body.code).toBe('sender_not_registered');
    const none = await service
      .as('tenant-with-nothing')
      .call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example' });
    expect(none.status).toBe(404);
    const bad = await service.as(tenantId).call('POST', '/integrations/sendgrid/test', { to: 'not an address' });
    expect(bad.status).toBe(400);
  });

  it('answers 503 upstream_unavailable when SendGrid fails', async () => {
    const tenantId = await connectedTenant();
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 500, times: 1 });
    const answer = await service
      .as(tenantId)
      .call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example' });
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('upstream_unavailable');
  });
});
