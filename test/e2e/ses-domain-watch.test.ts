import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService({ sesVerificationDelayMs: 100 });
});
afterAll(() => service?.close());

/** The SES sandbox the runtime started. */
function sandbox() {
  const ses = service.runtime.ses.ses;
  if (!ses) throw new Error('expected the embedded SES sandbox');
  return ses;
}

/** Publishes an automation's send event on the local bus; answers the entry's outcome. */
async function publish(tenantId: string, messageId: string): Promise<Record<string, unknown>> {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: [
      {
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
      },
    ],
  });
  expect(answer.status).toBe(200);
  return (answer.body as { Entries: Array<Record<string, unknown>> }).Entries[0] ?? {};
}

/** Lets SES's sandbox look at DNS and the scheduled checker run (as its schedule would), until `status`. */
async function untilChecked(tenantId: string, domain: string, status: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  let seen: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    await sandbox().checkNow();
    const run = await service.as(undefined).call('POST', '/local/ses/check-domains?all=true');
    expect(run.status).toBe(200);
    seen = (await service.as(tenantId).call('GET', `/integrations/ses/domains/${domain}`)).body;
    if (seen.status === status) return seen;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${domain} did not turn ${status}: ${JSON.stringify(seen)}`);
}

describe('the scheduled SES domain checker', () => {
  it('verifies a domain whose records were published without anyone pressing "Check now"', async () => {
    const api = service.as('watch-tenant');
    expect((await api.call('POST', '/integrations/ses/domains', { domain: 'watched.example' })).status).toBe(201);
    const added = (await api.call('GET', '/integrations/ses/domains/watched.example')).body;
    expect(added).toMatchObject({ status: 'pending', nextCheckAt: expect.any(String) });

    await service.as(undefined).call('POST', '/local/ses/publish-records', { domain: 'watched.example' });
    const verified = await untilChecked('watch-tenant', 'watched.example', 'verified');

    expect(verified).toMatchObject({
      verifiedAt: expect.any(String),
      lastCheckedAt: expect.any(String),
      statusChangedAt: expect.any(String),
    });
  });

  it('refuses sends from a verified domain whose records were removed, says so on the card, and recovers', async () => {
    const tenant = 'failing-tenant';
    const api = service.as(tenant);
    await api.call('POST', '/integrations/ses/domains', { domain: 'fragile.example' });
    await service.as(undefined).call('POST', '/local/ses/publish-records', { domain: 'fragile.example' });
    await untilChecked(tenant, 'fragile.example', 'verified');
    expect((await api.call('POST', '/integrations/ses/activate', { emails: ['info@fragile.example'] })).status).toBe(
      200,
    );
    expect(await publish(tenant, 'before-failure')).toMatchObject({ outcome: 'sent' });

    // The domain's owner removes its DKIM records.
    const dkim = sandbox()
      .recordsFor('eu-west-1', 'fragile.example')
      .filter((record) => record.type === 'CNAME');
    for (const record of dkim) {
      const removed = await fetch(
        `${sandbox().url}/__ses/dns?${new URLSearchParams({ type: 'CNAME', name: record.name })}`,
        { method: 'DELETE' },
      );
      expect(removed.status).toBe(200);
    }
    await untilChecked(tenant, 'fragile.example', 'failed');

    const card = await api.card();
    expect(card.body).toMatchObject({ provider: 'ses', status: 'domain_failed', failedDomains: ['fragile.example'] });
    expect(card.body.statusNextStep).toContain('fragile.example');
    const sentBefore = sandbox().messages().length;
    expect(await publish(tenant, 'during-failure')).toMatchObject({ outcome: 'failed', code: 'sender_domain_failed' });
    expect(sandbox().messages()).toHaveLength(sentBefore);

    // Records back: the domain verifies again and the card recovers.
    await service.as(undefined).call('POST', '/local/ses/publish-records', { domain: 'fragile.example' });
    await untilChecked(tenant, 'fragile.example', 'verified');
    const recovered = await api.card();
    expect(recovered.body).toMatchObject({ status: 'active' });
    expect(recovered.body.failedDomains).toBeUndefined();
    expect(await publish(tenant, 'after-recovery')).toMatchObject({ outcome: 'sent' });

    // Each turn of the card was announced once by the domain checks.
    const published = (await service.as(undefined).call('GET', '/local/published-events')).body.events as Array<{
      detailType: string;
      detail: { tenantId: string; status: string; previousStatus: string | null; cause: string };
    }>;
    const changes = published
      .filter((event) => event.detailType === 'Email Integration Status Changed' && event.detail.tenantId === tenant)
      .filter((event) => event.detail.cause === 'domain_check')
      .map(({ detail }) => [detail.previousStatus, detail.status]);
    expect(changes).toEqual([
      ['active', 'domain_failed'],
      ['domain_failed', 'active'],
    ]);
  });
});
