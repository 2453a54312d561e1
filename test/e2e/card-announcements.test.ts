import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_EVENT_BUS_NAME } from '../../local/local-event-bus.js';
import { OUTCOME_DETAIL_TYPES } from '../../shared/outcome-events/outcome-events.js';
import { documentedEventSchemas } from '../support/event-schemas.js';
import { opsOnLocalService } from './local-ops.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService({ sesVerificationDelayMs: 100 });
});
afterAll(() => service?.close());

interface Published {
  sequence: number;
  detailType: string;
  detail: Record<string, unknown>;
}

/** What the local bus recorded after `since`, oldest first. */
async function published(since: number): Promise<Published[]> {
  const answer = await service.as(undefined).call('GET', `/local/published-events?since=${since}`);
  expect(answer.status).toBe(200);
  return answer.body.events as Published[];
}

/** The sequence number of the newest published event (0 when none). */
async function lastSequence(): Promise<number> {
  return Number((await service.as(undefined).call('GET', '/local/published-events')).body.lastSequence);
}

/** Adds the domain to the tenant's SES domains, publishes its records and waits until it verifies. */
async function verifiedSesDomain(tenantId: string, domain: string): Promise<void> {
  const api = service.as(tenantId);
  expect((await api.call('POST', '/integrations/ses/domains', { domain })).status).toBe(201);
  expect((await service.as(undefined).call('POST', '/local/ses/publish-records', { domain })).status).toBe(201);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await service.runtime.ses.ses?.checkNow();
    if ((await api.call('POST', `/integrations/ses/domains/${domain}/check`)).body.status === 'verified') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${domain} to verify`);
}

describe('POST /integrations/ses/activate', () => {
  it('announces the switch from SendGrid to SES once, and nothing when an SES card stays as it was', async () => {
    const tenant = 'announce-switch';
    expect((await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    await verifiedSesDomain(tenant, 'acme.example');
    const since = await lastSequence();

    const switched = await service
      .as(tenant)
      .call('POST', '/integrations/ses/activate', { emails: ['hello@acme.example'] });

    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ provider: 'ses', status: 'active' });
    const events = await published(since);
    expect(events.map((event) => [event.detailType, event.detail])).toEqual([
      [
        OUTCOME_DETAIL_TYPES.integrationStatusChanged,
        expect.objectContaining({
          tenantId: tenant,
          provider: 'ses',
          status: 'active',
          previousStatus: 'active',
          cause: 'ses_activated',
          reason: expect.stringContaining('Amazon SES'),
        }),
      ],
    ]);
    expect(documentedEventSchemas()(OUTCOME_DETAIL_TYPES.integrationStatusChanged, events[0]?.detail)).toBeUndefined();

    const again = await lastSequence();
    const resent = await service
      .as(tenant)
      .call('POST', '/integrations/ses/activate', { emails: ['info@acme.example'] });
    expect(resent.status).toBe(200);
    expect(await published(again)).toEqual([]);
  });
});

/** Runs an ops command on the running local runtime's data, announcing on its local bus. */
function ops(args: string[]) {
  // The runtime pointed this process's EventBridge client at its local bus.
  return opsOnLocalService(service, args, { busName: LOCAL_EVENT_BUS_NAME });
}

describe('npm run ops -- verify', () => {
  it('announces each card it changes once, with the tenant, new status and reason, and nothing for unchanged cards', async () => {
    const blocked = 'announce-ops-blocked';
    const key = service.sandbox.key('good-second');
    expect((await service.as(blocked).save(key.apiKey, ['info@acme.example'])).status).toBe(201);
    expect(
      (await service.as('announce-ops-fine').save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status,
    ).toBe(201);
    service.sandbox.revokeKey(key.keyId);
    const since = await lastSequence();

    const run = await ops(['verify', '--all', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ announcements: { announced: 1, failed: 0 } });
    const events = await published(since);
    expect(events.map((event) => [event.detailType, event.detail])).toEqual([
      [
        OUTCOME_DETAIL_TYPES.integrationStatusChanged,
        expect.objectContaining({
          tenantId: blocked,
          provider: 'sendgrid',
          status: 'key_rejected',
          previousStatus: 'active',
          cause: 'operator_check',
          reason: expect.stringContaining('refuses the key'),
        }),
      ],
    ]);
    expect(documentedEventSchemas()(OUTCOME_DETAIL_TYPES.integrationStatusChanged, events[0]?.detail)).toBeUndefined();
    expect((await service.as(blocked).card()).body.status).toBe('key_rejected');
  });

  it('finishes and says how many announcements failed when the bus refuses them, keeping the card change', async () => {
    const tenant = 'announce-ops-refused';
    const key = service.sandbox.key('good-with-senders');
    expect((await service.as(tenant).save(key.apiKey, ['info@acme.example'])).status).toBe(201);
    service.sandbox.revokeKey(key.keyId);
    const since = await lastSequence();
    // Every attempt of the publisher (3) is refused.
    service.runtime.eventBus?.refuseNext(3);

    const run = await ops(['verify', tenant]);

    expect(run.code).toBe(1);
    expect(run.out).toContain(`${tenant}: key_rejected`);
    expect(run.err).toContain('1 NOT announced');
    expect((await service.as(tenant).card()).body.status).toBe('key_rejected');
    expect(await published(since)).toEqual([]);
  });
});

describe('POST /integrations/sendgrid/test', () => {
  it('announces the card a refused key blocks, once, as a refused send', async () => {
    const tenant = 'announce-test-send';
    const key = service.sandbox.key('good');
    expect((await service.as(tenant).save(key.apiKey, ['info@acme.example'])).status).toBe(201);
    service.sandbox.revokeKey(key.keyId);
    const since = await lastSequence();

    const refused = await service.as(tenant).call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example' });
    const again = await service.as(tenant).call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example' });

    expect([refused.body.code, again.body.code]).toEqual(['key_rejected', 'key_rejected']);
    expect((await service.as(tenant).card()).body.status).toBe('key_rejected');
    const events = await published(since);
    expect(events.map((event) => [event.detailType, event.detail])).toEqual([
      [
        OUTCOME_DETAIL_TYPES.integrationStatusChanged,
        expect.objectContaining({
          tenantId: tenant,
          provider: 'sendgrid',
          status: 'key_rejected',
          previousStatus: 'active',
          cause: 'send_refused',
          reason: expect.stringContaining('refuses the key'),
        }),
      ],
    ]);
  });
});
