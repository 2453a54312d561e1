import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  process.env.LOCAL_QUEUE_MAX_DELAY_MS = '50';
  service = await startLocalService();
});
afterAll(() => service?.close());

const key = (name: string) => service.sandbox.key(name).apiKey;

async function connectedTenant(tenantId: string): Promise<string> {
  const saved = await service.as(tenantId).save(key('good'), ['info@acme.example', 'noreply@acme.example']);
  expect(saved.status).toBe(201);
  return tenantId;
}

const request = (tenantId: string, messageId: string) => ({
  Source: 'app.automations',
  DetailType: 'Email Send Requested',
  Detail: JSON.stringify({
    tenantId,
    messageId,
    audience: 'customer',
    to: [{ email: 'jane@customer.example' }],
    subject: 'Hello',
    text: 'Hi',
  }),
});

/** Publishes without waiting: 202 and the event ids. */
async function publishNow(entries: Array<ReturnType<typeof request>>): Promise<string[]> {
  const answer = await service.as(undefined).call('POST', '/local/events?wait=false', { Entries: entries });
  expect(answer.status).toBe(202);
  const answered = (answer.body as { Entries: Array<{ EventId: string; outcome: string }> }).Entries;
  expect(answered.map((entry) => entry.outcome)).toEqual(entries.map(() => 'pending'));
  return answered.map((entry) => entry.EventId);
}

/** The event's outcome once the local queue has one. */
async function outcomeOf(eventId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const answer = await service.as(undefined).call('GET', `/local/events/${eventId}`);
    expect(answer.status).toBe(200);
    if (answer.body.outcome !== 'pending') return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Positions of our messages in the order the sandbox accepted them. */
function acceptedOrder(): string[] {
  return service.sandbox
    .messages()
    .map(
      (message) =>
        (message.body as { personalizations?: Array<{ custom_args?: { messageId?: string } }> }).personalizations?.[0]
          ?.custom_args?.messageId ?? '',
    );
}

describe('local send queue: fair across tenants', () => {
  it('sends a quiet tenant’s message before a flooding tenant’s backlog drains', async () => {
    const flood = await connectedTenant('fair-flood');
    const quiet = await connectedTenant('fair-quiet');
    // Every send takes a while, so the flood is still queued when the quiet tenant publishes.
    service.sandbox.injectFault({ path: '/v3/mail/send', delayMs: 100, times: 1_000 });
    const floodIds: string[] = [];
    for (let call = 0; call < 10; call += 1) {
      floodIds.push(
        ...(await publishNow(Array.from({ length: 10 }, (_, index) => request(flood, `flood-${call * 10 + index}`)))),
      );
    }
    const [quietId] = await publishNow([request(quiet, 'quiet-reset')]);

    expect(await outcomeOf(quietId as string)).toMatchObject({ outcome: 'sent', deliveries: 1 });
    for (const id of floodIds) expect(await outcomeOf(id)).toMatchObject({ outcome: 'sent' });
    service.sandbox.clearFaults();
    const order = acceptedOrder().filter((id) => id === 'quiet-reset' || id.startsWith('flood-'));
    expect(order).toHaveLength(101);
    // Order, not time: most of the flood went out after the quiet tenant's one message.
    const floodAfterQuiet = order.length - 1 - order.indexOf('quiet-reset');
    expect(floodAfterQuiet).toBeGreaterThanOrEqual(50);
  });
});

describe('local events: answering later', () => {
  it('answers 202 with the event ids at once and the outcome on GET /local/events/{eventId}', async () => {
    const tenantId = await connectedTenant('later-tenant');
    const [eventId] = await publishNow([request(tenantId, 'later-1')]);
    const first = await service.as(undefined).call('GET', `/local/events/${eventId}`);
    expect(first.status).toBe(200);
    expect(['pending', 'sent']).toContain(first.body.outcome);
    expect(await outcomeOf(eventId as string)).toMatchObject({ EventId: eventId, outcome: 'sent', deliveries: 1 });
  });

  it('answers 404 for an event it does not know', async () => {
    const answer = await service.as(undefined).call('GET', '/local/events/00000000-0000-0000-0000-000000000000');
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('not_found');
  });
});
