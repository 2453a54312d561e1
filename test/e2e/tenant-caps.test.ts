import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps } from '../../scripts/ops-cli.js';
import { openLimitsTarget } from '../../scripts/ops-limits.js';
import { REDELIVERY_POLICY } from '../../shared/sending/redelivery-policy.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  process.env.LOCAL_QUEUE_MAX_DELAY_MS = '50';
  // Send functions re-read a tenant's limits every minute; here at once, so a change shows in the test.
  process.env.TENANT_LIMITS_CACHE_MS = '0';
  service = await startLocalService();
});
afterAll(() => service?.close());

async function connectedTenant(tenantId: string): Promise<string> {
  const saved = await service.as(tenantId).save(service.sandbox.key('good').apiKey, ['info@acme.example']);
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

async function ops(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(
    [
      ...args,
      '--endpoint',
      service.runtime.dynamoDb.endpoint,
      '--ledger-table',
      service.runtime.dynamoDb.tables.sendLedger as string,
    ],
    { out: (text) => out.push(text), err: (text) => err.push(text) },
    async () => {
      throw new Error('tenant-limits needs no integration target');
    },
    undefined,
    openLimitsTarget,
  );
  return { code, out: out.join(''), err: err.join('') };
}

async function publishNow(entries: Array<ReturnType<typeof request>>): Promise<string[]> {
  const answer = await service.as(undefined).call('POST', '/local/events?wait=false', { Entries: entries });
  expect(answer.status).toBe(202);
  return (answer.body as { Entries: Array<{ EventId: string }> }).Entries.map((entry) => entry.EventId);
}

async function entry(eventId: string): Promise<Record<string, unknown>> {
  return (await service.as(undefined).call('GET', `/local/events/${eventId}`)).body;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sentFor = (tenantId: string) =>
  service.sandbox
    .messages()
    .filter((message) =>
      JSON.stringify((message.body as { personalizations?: unknown }).personalizations).includes(
        `"tenantId":"${tenantId}"`,
      ),
    ).length;

describe('per-tenant caps', () => {
  it('holds a tenant’s sends over its daily cap without spending deliveries, and sends them once the cap is raised', async () => {
    const tenantId = await connectedTenant('capped-daily');
    const set = await ops(['tenant-limits', '--tenant', tenantId, '--max-per-day', '2']);
    expect(set).toMatchObject({ code: 0 });
    expect(set.out).toContain('at most 2 per day');

    const ids = await publishNow([1, 2, 3].map((n) => request(tenantId, `daily-${n}`)));
    const outcomes = await until(
      () => Promise.all(ids.map(entry)),
      (entries) =>
        entries.filter((item) => item.outcome === 'sent').length === 2 &&
        entries.some((item) => Number(item.requeues ?? 0) > REDELIVERY_POLICY.maxReceiveCount),
    );
    const held = outcomes.find((item) => item.outcome !== 'sent');
    // Held, not failed: queued afresh more often than the redelivery budget allows, yet never dead-lettered.
    expect(held).toMatchObject({ outcome: 'pending', code: 'tenant_capped' });
    expect(Number(held?.deliveries)).toBeLessThanOrEqual(1);
    expect(sentFor(tenantId)).toBe(2);

    expect((await ops(['tenant-limits', '--tenant', tenantId, '--max-per-day', '3'])).code).toBe(0);
    expect(
      await until(
        () => entry(held?.EventId as string),
        (item) => item.outcome !== 'pending',
      ),
    ).toMatchObject({
      outcome: 'sent',
    });
    expect(sentFor(tenantId)).toBe(3);
  });

  it('keeps a tenant to its cap on sends in flight, and sends everything in the end', async () => {
    const tenantId = await connectedTenant('capped-in-flight');
    expect((await ops(['tenant-limits', '--tenant', tenantId, '--max-in-flight', '1'])).code).toBe(0);
    service.sandbox.injectFault({ path: '/v3/mail/send', delayMs: 100, times: 10 });
    const ids = await publishNow([1, 2, 3, 4].map((n) => request(tenantId, `flight-${n}`)));
    const outcomes = await until(
      () => Promise.all(ids.map(entry)),
      (entries) => entries.every((item) => item.outcome !== 'pending'),
    );
    service.sandbox.clearFaults();
    expect(outcomes.map((item) => item.outcome)).toEqual(['sent', 'sent', 'sent', 'sent']);
    // One batch carried all four: three were held by the cap at least once.
    expect(outcomes.filter((item) => Number(item.requeues ?? 0) > 0).length).toBeGreaterThanOrEqual(3);
  });

  it('shows and clears a tenant’s caps, and refuses a cap below 1', async () => {
    expect((await ops(['tenant-limits', '--tenant', 'someone', '--max-in-flight', '0'])).code).toBe(2);
    await ops(['tenant-limits', '--tenant', 'someone', '--max-in-flight', '4']);
    expect((await ops(['tenant-limits', '--tenant', 'someone', '--json'])).out).toContain('"maxInFlight": 4');
    expect((await ops(['tenant-limits', '--tenant', 'someone', '--clear'])).out).toContain(
      'no cap in flight, no daily cap',
    );
  });
});
