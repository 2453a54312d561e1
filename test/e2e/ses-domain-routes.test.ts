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
async function publish(detail: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: [{ Source: 'app.automations', DetailType: 'Email Send Requested', Detail: JSON.stringify(detail) }],
  });
  expect(answer.status).toBe(200);
  return (answer.body as { Entries: Array<Record<string, unknown>> }).Entries[0] ?? {};
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('onboarding an SES domain through the API', () => {
  it('adds acme.example, sees its records found and the domain verified, switches, and sends through SES', async () => {
    const tenant = 'onboarding-tenant';
    const api = service.as(tenant);
    const added = await api.call('POST', '/integrations/ses/domains', { domain: 'Acme.Example' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ domain: 'acme.example', region: 'eu-west-1', status: 'pending' });
    const records = added.body.records as Array<{ purpose: string; status: string }>;
    expect(records.map((record) => record.purpose)).toEqual([
      'dkim',
      'dkim',
      'dkim',
      'mail_from_mx',
      'mail_from_spf',
      'dmarc',
    ]);
    expect((await api.call('POST', '/integrations/ses/domains', { domain: 'acme.example' })).status).toBe(200);

    // Before publishing: our own look-up finds nothing.
    const before = await api.call('POST', '/integrations/ses/domains/acme.example/check');
    expect(before.status).toBe(200);
    expect((before.body.records as Array<{ status: string }>).every((record) => record.status === 'missing')).toBe(
      true,
    );

    // The tenant publishes the records (here through the runtime's local-only endpoint, as the console does).
    const published = await service
      .as(undefined)
      .call('POST', '/local/ses/publish-records', { domain: 'acme.example' });
    expect(published.status).toBe(201);
    let checked = before;
    await until(async () => {
      await sandbox().checkNow();
      checked = await api.call('POST', '/integrations/ses/domains/acme.example/check');
      return checked.body.status === 'verified';
    }, 'acme.example to verify');
    expect(checked.body).toMatchObject({ status: 'verified', verifiedAt: expect.any(String) });
    const found = (checked.body.records as Array<{ purpose: string; status: string }>).filter(
      (record) => record.purpose !== 'dmarc',
    );
    expect(found.map((record) => record.status)).toEqual(['found', 'found', 'found', 'found', 'found']);
    expect((await api.call('GET', '/integrations/ses/domains')).body).toMatchObject({
      domains: [{ domain: 'acme.example', status: 'verified' }],
    });
    expect((await api.call('GET', '/integrations/ses/domains/acme.example')).body).toMatchObject({
      status: 'verified',
    });

    const activated = await api.call('POST', '/integrations/ses/activate', { emails: ['hello@acme.example'] });
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ provider: 'ses', emails: ['hello@acme.example'], status: 'active' });

    const outcome = await publish({
      tenantId: tenant,
      messageId: 'onboarded-1',
      audience: 'customer',
      to: [{ email: 'jane@customer.example' }],
      subject: 'Hello',
      text: 'Hi',
    });
    expect(outcome).toMatchObject({ outcome: 'sent' });
    expect(
      sandbox()
        .messages()
        .find((message) => message.messageId === outcome.providerMessageId),
    ).toMatchObject({
      from: 'hello@acme.example',
      tenantName: 'ei-onboarding-tenant',
      configurationSetName: 'email-integrations',
    });

    // A registered sender keeps the domain.
    const removal = await api.call('DELETE', '/integrations/ses/domains/acme.example');
    expect(removal.status).toBe(409);
    expect(removal.body.code).toBe('domain_in_use');

    // Another tenant can neither claim the domain nor register senders at it.
    const other = service.as('other-tenant');
    const claim = await other.call('POST', '/integrations/ses/domains', { domain: 'acme.example' });
    expect(claim.status).toBe(409);
    expect(claim.body.code).toBe('domain_unavailable');
    expect(claim.text).not.toContain(tenant);
    const senders = await other.call('POST', '/integrations/ses/activate', { emails: ['ceo@acme.example'] });
    expect(senders.status).toBe(422);
    expect(senders.body.code).toBe('sender_not_authenticated');
    expect((await other.call('GET', '/integrations/ses/domains/acme.example')).status).toBe(404);
  });

  it('publishes records only for requests from the runtime’s own pages, not other sites', async () => {
    const refused = await fetch(`${service.runtime.url}/local/ses/publish-records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ domain: 'acme.example' }),
    });
    expect(refused.status).toBe(403);
  });

  it('refuses bad input with problem details', async () => {
    const api = service.as('bad-input-tenant');
    for (const [body, code] of [
      [{ domain: 'https://acme.example' }, 'invalid_domain'],
      [{ domain: 'gmail.com' }, 'public_mailbox_domain'],
      [{ domain: 'ok.example', region: 'mars-1' }, 'region_not_allowed'],
      [{ domain: 'ok.example', extra: true }, 'invalid_request'],
    ] as const) {
      const answer = await api.call('POST', '/integrations/ses/domains', body);
      expect({ code: answer.body.code, type: answer.contentType }).toEqual({
        code,
        type: 'application/problem+json',
      });
    }
  });
});
