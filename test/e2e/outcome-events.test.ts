import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME_DETAIL_TYPES, OUTCOME_EVENT_SOURCE } from '../../shared/outcome-events/outcome-events.js';
import { documentedEventSchemas } from '../support/event-schemas.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
});
afterAll(async () => {
  await service?.close();
});

interface Published {
  sequence: number;
  id: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/** What the local bus recorded after `since`, oldest first. */
async function published(since = 0): Promise<Published[]> {
  const answer = await service.as(undefined).call('GET', `/local/published-events?since=${since}`);
  expect(answer.status).toBe(200);
  return answer.body.events as Published[];
}

/** The sequence number of the newest published event (0 when none). */
async function lastSequence(): Promise<number> {
  return Number((await service.as(undefined).call('GET', '/local/published-events')).body.lastSequence);
}

/** Publishes one send request on the local bus; the entry's outcome. */
async function publish(tenantId: string, messageId: string, to: string, extra: Record<string, unknown> = {}) {
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
          ...extra,
        }),
      },
    ],
  });
  return (answer.body as { Entries: Array<{ outcome: string; deliveries: number }> }).Entries[0];
}

/** Every event the runtime published in this file, checked against docs/events/*.schema.json at the end. */
const seen: Published[] = [];
const forMessage = (events: Published[], messageId: string) =>
  events.filter((event) => event.detail.messageId === messageId);

describe('Outcome events on the service bus (local runtime)', () => {
  const tenant = 'outcome-tenant';

  it('announces a new integration as Email Integration Status Changed (created, active)', async () => {
    const since = await lastSequence();
    expect((await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    const events = await published(since);
    seen.push(...events);
    expect(events.map((event) => [event.source, event.detailType])).toEqual([
      [OUTCOME_EVENT_SOURCE, OUTCOME_DETAIL_TYPES.integrationStatusChanged],
    ]);
    expect(events[0]?.detail).toMatchObject({
      tenantId: tenant,
      provider: 'sendgrid',
      status: 'active',
      previousStatus: null,
      cause: 'saved',
    });
  });

  it('announces an accepted send as Email Send Accepted, without any recipient address', async () => {
    const since = await lastSequence();
    expect((await publish(tenant, 'outcome-1', 'jane@customer.example'))?.outcome).toBe('sent');
    const events = forMessage(await published(since), 'outcome-1');
    seen.push(...events);
    expect(events.map((event) => event.detailType)).toEqual([OUTCOME_DETAIL_TYPES.sendAccepted]);
    expect(events[0]?.detail).toMatchObject({ tenantId: tenant, messageId: 'outcome-1', status: 'accepted' });
    expect(JSON.stringify(events)).not.toContain('customer.example');
  });

  it('announces a refused send as Email Send Failed with its code and plain detail', async () => {
    const since = await lastSequence();
    const outcome = await publish(tenant, 'outcome-2', 'jane@customer.example', {
      from: 'billing@acme.example',
    });
    expect(outcome?.outcome).toBe('failed');
    const events = forMessage(await published(since), 'outcome-2');
    seen.push(...events);
    expect(events.map((event) => event.detailType)).toEqual([OUTCOME_DETAIL_TYPES.sendFailed]);
    expect(events[0]?.detail).toMatchObject({ status: 'failed', code: 'sender_not_registered' });
    expect(String(events[0]?.detail.detail)).toMatch(/not a registered sender/);
    expect(JSON.stringify(events)).not.toContain('customer.example');
  });

  it('sends nothing to a suppressed address, ends the message suppressed and announces it', async () => {
    expect((await service.as(tenant).call('PUT', '/suppressions/held%40customer.example')).status).toBe(201);
    const before = service.sandbox.messages().length;
    const since = await lastSequence();
    expect((await publish(tenant, 'outcome-3', 'held@customer.example'))?.outcome).toBe('suppressed');
    expect(service.sandbox.messages()).toHaveLength(before);
    expect((await service.as(tenant).call('GET', '/messages/outcome-3')).body.status).toBe('suppressed');
    const events = forMessage(await published(since), 'outcome-3');
    seen.push(...events);
    expect(events[0]?.detail).toMatchObject({
      status: 'suppressed',
      code: 'recipients_suppressed',
    });
    expect(JSON.stringify(events)).not.toContain('held@');
  });

  it('announces the outcome even when the bus refuses it at first: the request comes back, is sent once, and announced with the same eventId', async () => {
    const since = await lastSequence();
    const before = service.sandbox.messages().length;
    service.runtime.eventBus?.refuseNext(3);
    const outcome = await publish(tenant, 'outcome-4', 'joe@customer.example');
    expect(outcome?.outcome).toBe('duplicate');
    expect(outcome?.deliveries).toBe(2);
    expect(service.sandbox.messages()).toHaveLength(before + 1);
    const events = forMessage(await published(since), 'outcome-4');
    seen.push(...events);
    expect(events.map((event) => event.detailType)).toEqual([OUTCOME_DETAIL_TYPES.sendAccepted]);

    // The same request again: nothing is sent, and the outcome is re-announced with the same eventId.
    expect((await publish(tenant, 'outcome-4', 'joe@customer.example'))?.outcome).toBe('duplicate');
    const again = forMessage(await published(since), 'outcome-4');
    expect(again).toHaveLength(2);
    expect(again[1]?.detail.eventId).toBe(again[0]?.detail.eventId);
    expect(again[1]?.id).not.toBe(again[0]?.id);
  });

  it('announces a card the health check blocks, once, and nothing for the cards it leaves as they were', async () => {
    const blocked = 'outcome-health';
    const key = service.sandbox.key('good-second');
    expect((await service.as(blocked).save(key.apiKey, ['info@acme.example'])).status).toBe(201);
    const since = await lastSequence();
    service.sandbox.revokeKey(key.keyId);

    expect((await service.as(undefined).call('POST', '/local/health-check')).status).toBe(200);

    const events = await published(since);
    seen.push(...events);
    expect(events.map((event) => [event.detailType, event.detail])).toEqual([
      [
        OUTCOME_DETAIL_TYPES.integrationStatusChanged,
        expect.objectContaining({
          tenantId: blocked,
          status: 'key_rejected',
          previousStatus: 'active',
          cause: 'health_check',
          reason: expect.stringContaining('refuses the key'),
        }),
      ],
    ]);
  });

  it('announces a deleted integration', async () => {
    const since = await lastSequence();
    expect((await service.as(tenant).remove()).status).toBe(204);
    const events = await published(since);
    seen.push(...events);
    expect(events.map((event) => event.detail)).toEqual([
      expect.objectContaining({ status: 'deleted', previousStatus: 'active', cause: 'deleted', tenantId: tenant }),
    ]);
  });

  it('lists published events oldest first, after ?since=, and refuses a malformed query', async () => {
    const all = await published();
    expect(all.map((event) => event.sequence)).toEqual([...all.map((event) => event.sequence)].sort((a, b) => a - b));
    expect(await published(all.at(-1)?.sequence ?? 0)).toEqual([]);
    const bad = await service.as(undefined).call('GET', '/local/published-events?since=soon');
    expect(bad.status).toBe(400);
  });

  it('emits only events whose detail matches its documented JSON Schema (docs/events/*.schema.json)', () => {
    const mismatch = documentedEventSchemas();
    const kinds = new Set(seen.map((event) => event.detailType));
    expect(kinds).toEqual(
      new Set([
        OUTCOME_DETAIL_TYPES.sendAccepted,
        OUTCOME_DETAIL_TYPES.sendFailed,
        OUTCOME_DETAIL_TYPES.integrationStatusChanged,
      ]),
    );
    for (const event of seen) {
      expect(mismatch(event.detailType, event.detail), event.detailType).toBeUndefined();
    }
  });
});
