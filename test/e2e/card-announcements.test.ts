import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME_DETAIL_TYPES } from '../../shared/outcome-events/outcome-events.js';
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

/** The documented detail schema of `Email Integration Status Changed`. */
function statusChangedSchema() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat('date-time', (text: string) => !Number.isNaN(Date.parse(text)));
  return ajv.compile(
    JSON.parse(
      readFileSync(new URL('../../docs/events/email-integration-status-changed.schema.json', import.meta.url), 'utf8'),
    ),
  );
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
    const valid = statusChangedSchema();
    expect(valid(events[0]?.detail), JSON.stringify(valid.errors)).toBe(true);

    const again = await lastSequence();
    const resent = await service
      .as(tenant)
      .call('POST', '/integrations/ses/activate', { emails: ['info@acme.example'] });
    expect(resent.status).toBe(200);
    expect(await published(again)).toEqual([]);
  });
});
