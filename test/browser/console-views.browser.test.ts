import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from '../e2e/local-service.js';
import { launchChromium, openConsole, PHONE, SCREENSHOTS, scrollsSideways } from './console-browser.js';

let service: LocalService;
let browser: Browser;

beforeAll(async () => {
  service = await startLocalService({ sesVerificationDelayMs: 100 });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await service?.close();
});

/** Presses "Check now" until the domain's status chip reads `status` (the local SES checks every second). */
async function checkUntil(domain: Locator, status: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await domain.getByRole('button', { name: 'Check now' }).click();
    await domain.locator('.notice').filter({ hasText: 'just now' }).waitFor();
    if ((await domain.locator('.ses-domain-head .chip').getAttribute('data-status')) === status) return;
    await domain.page().waitForTimeout(250);
  }
  throw new Error(`the domain did not turn ${status}`);
}

describe('console page: Amazon SES', () => {
  it('adds acme.example, publishes its records locally, sees them found and the domain verified, and switches', async () => {
    const { page, requests, shoot } = await openConsole(browser, service, 'browser-ses');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const ses = page.locator('#ses');
    await ses.getByLabel('Domain', { exact: true }).fill('acme.example');
    await ses.getByRole('button', { name: 'Add domain' }).click();
    const domain = page.getByRole('article', { name: 'acme.example' });
    await domain.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('acme.example');
    expect(await domain.locator('.ses-domain-head .chip').textContent()).toBe('Waiting for DNS records');
    const rows = domain.locator('table.records tbody tr');
    expect(await rows.count()).toBe(6);
    expect(await domain.locator('table.records caption').textContent()).toBe('DNS records to publish at your DNS host');
    expect(await rows.first().locator('td').first().textContent()).toBe('DKIM signature 1 of 3');
    expect(await rows.locator('.chip').allTextContents()).toEqual(Array(6).fill('Not checked yet'));

    // Copy puts the exact value on the clipboard and says so.
    const firstValue = await rows.first().locator('td').nth(3).locator('code').textContent();
    await domain.getByRole('button', { name: 'Copy the value of “DKIM signature 1 of 3”' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(firstValue);
    await page.locator('#progress').filter({ hasText: 'Copied' }).waitFor();

    // Not published yet: the check finds every record missing.
    await domain.getByRole('button', { name: 'Check now' }).click();
    await domain.locator('.notice').filter({ hasText: '0 of 6 records found' }).waitFor();
    expect(await rows.locator('.chip').allTextContents()).toEqual(Array(6).fill('Missing'));
    await shoot('ses-pending');

    // The local-only helper publishes the records in the local DNS server, as the owner would.
    const publish = domain.getByRole('button', { name: 'Publish these records in the local DNS (local only)' });
    await publish.click();
    await domain.locator('.notice').filter({ hasText: 'Published the records of acme.example' }).waitFor();
    await checkUntil(domain, 'verified');
    expect(await domain.locator('.ses-domain-head .chip').textContent()).toBe('Verified');
    const statuses = await rows.evaluateAll((list) =>
      list.map((row) => `${(row as HTMLElement).dataset.purpose}:${row.querySelector('.chip')?.textContent}`),
    );
    expect(statuses.filter((entry) => !entry.startsWith('dmarc'))).toEqual(
      Array(5).fill(expect.stringMatching(/:Found$/)),
    );
    expect(await domain.locator('dd[data-field="lastCheckedAt"]').textContent()).not.toBe('not yet');
    await shoot('ses-verified');

    // Verified: pick senders and switch; the card now says Amazon SES.
    const switchForm = page.locator('#ses-switch-form');
    await switchForm.getByLabel('noreply@acme.example').uncheck();
    await page.getByRole('button', { name: 'Switch to Amazon SES' }).click();
    await page.locator('#card-notice').filter({ hasText: 'now send through Amazon SES' }).waitFor();
    expect(await page.locator('#card-fields dd[data-field="provider"]').textContent()).toBe('Amazon SES');
    expect(await page.locator('#card-emails li').allTextContents()).toEqual(['info@acme.example']);
    expect(await switchForm.isHidden()).toBe(true);
    expect(await page.locator('#ses-active').textContent()).toContain('info@acme.example');
    expect(requests.filter((request) => request === 'POST /integrations/ses/activate')).toHaveLength(1);
    await shoot('ses-switched');
    await page.context().close();
  });

  it('shows the API’s own words for a bad domain and another tenant’s domain, in English and German', async () => {
    const { page } = await openConsole(browser, service, 'browser-ses-bad');
    const field = page.locator('#ses').getByLabel('Domain', { exact: true });
    await field.fill('https://acme.example');
    await page.getByRole('button', { name: 'Add domain' }).click();
    const error = page.locator('#ses-domain-error');
    await error.waitFor();
    const problem = await service.as('browser-ses-bad').call('POST', '/integrations/ses/domains', {
      domain: 'https://acme.example',
    });
    expect(await error.textContent()).toContain(String(problem.body.detail));
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('ses-domain');

    await page.getByLabel('Language').selectOption('de');
    await field.fill('gmail.com');
    await page.getByRole('button', { name: 'Domain hinzufügen' }).click();
    await error.filter({ hasText: 'Die Domain eines öffentlichen E-Mail-Anbieters' }).waitFor();

    // A domain another tenant holds: refused without naming who.
    const owner = service.as('browser-ses-owner');
    expect((await owner.call('POST', '/integrations/ses/domains', { domain: 'claimed.example' })).status).toBe(201);
    await field.fill('claimed.example');
    await page.getByRole('button', { name: 'Domain hinzufügen' }).click();
    const refusal = page.locator('#ses-domain-error, #ses-add-problem').filter({ hasText: 'nicht verfügbar' });
    await refusal.waitFor();
    expect(await refusal.textContent()).not.toContain('browser-ses-owner');
    await page.context().close();
  });

  it('removes a domain after asking, and fits a 390 px screen', async () => {
    const { page, shoot } = await openConsole(browser, service, 'browser-ses-phone', { viewport: PHONE });
    await page.locator('#ses').getByLabel('Domain', { exact: true }).fill('phone.example');
    await page.getByRole('button', { name: 'Add domain' }).click();
    const domain = page.getByRole('article', { name: 'phone.example' });
    await domain.waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('ses-records');
    await domain.screenshot({ path: `${SCREENSHOTS}/ses-domain-390.png` });

    await domain.getByRole('button', { name: 'Remove domain' }).click();
    await domain.getByText('Remove phone.example?').waitFor();
    await domain.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.locator('#ses-notice').filter({ hasText: 'Removed phone.example.' }).waitFor();
    expect(await domain.count()).toBe(0);
    expect((await service.as('browser-ses-phone').call('GET', '/integrations/ses/domains')).body).toEqual({
      domains: [],
    });
    await page.context().close();
  });
});

/** Publishes automations' send events on the local bus (at most 10 per call, as PutEvents). */
async function publishSends(
  tenantId: string,
  sends: Array<{ messageId: string; to: string; from?: string }>,
): Promise<string[]> {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: sends.map((send) => ({
      Source: 'app.automations',
      DetailType: 'Email Send Requested',
      Detail: JSON.stringify({
        tenantId,
        messageId: send.messageId,
        audience: 'customer',
        to: [{ email: send.to }],
        subject: 'Hello',
        text: 'Hello',
        // The send request's `from` is an address string (shared/sending/send-request.ts).
        ...(send.from ? { from: send.from } : {}),
      }),
    })),
  });
  return (answer.body as { Entries: Array<{ outcome: string }> }).Entries.map((entry) => entry.outcome);
}

describe('console page: Activity', () => {
  it('lists messages newest first with status chips, loads more, filters, and opens a timeline', async () => {
    const tenant = 'browser-activity';
    expect((await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    const accepted = Array.from({ length: 10 }, (_, index) => ({
      messageId: `activity-${index}`,
      to: `reader${index}@customer.example`,
    }));
    expect(await publishSends(tenant, accepted)).toEqual(Array(10).fill('sent'));
    expect(
      await publishSends(tenant, [
        { messageId: 'activity-failed', to: 'x@customer.example', from: 'a@elsewhere.example' },
      ]),
    ).toEqual(['failed']);

    const { page, requests, shoot } = await openConsole(browser, service, tenant, { view: 'activity' });
    const rows = page.locator('#activity-rows > li');
    await rows.first().waitFor();
    expect(await page.getByRole('link', { name: 'Activity' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByRole('link', { name: 'Email sending' }).getAttribute('href')).toBe(
      '/?tenant=browser-activity&lang=en&view=sending',
    );
    expect(await rows.count()).toBe(10);
    expect(await rows.first().getAttribute('data-message-id')).toBe('activity-failed');
    expect(await rows.first().locator('.chip').textContent()).toBe('Failed');
    expect(await rows.nth(1).locator('.chip').textContent()).toBe('Accepted by the provider');
    expect(await page.locator('#activity-count').textContent()).toBe('10 messages shown; more are available.');

    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(10).waitFor();
    expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toContain(
      'Show the timeline',
    );
    const ids = await rows.evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.messageId));
    expect(new Set(ids).size).toBe(11);

    // The timeline: fetched on opening, with the failure in the API's own words.
    const failed = (await service.as(tenant).call('GET', '/messages/activity-failed')).body;
    const toggle = page.getByRole('button', { name: 'Show the timeline of activity-failed' });
    await toggle.click();
    const panel = rows.first().locator('.timeline');
    await panel.filter({ hasText: String(failed.failureDetail) }).waitFor();
    expect(await panel.textContent()).toContain('No events from the provider yet.');
    // Its stable code in the console's own words first; the stored detail adds which sender, in English.
    expect(failed.failureCode).toBe('sender_not_registered');
    expect(await panel.locator('.failure-note').getAttribute('data-code')).toBe(String(failed.failureCode));
    expect(await panel.locator('p.failure').textContent()).toBe(
      'The sender address is not one of your registered senders. Use a registered one, or add it under Email sending.',
    );
    expect(await panel.locator('.failure-detail span').textContent()).toBe(String(failed.failureDetail));
    expect(await rows.first().getByRole('button').getAttribute('aria-expanded')).toBe('true');
    expect(requests).toContain('GET /messages/activity-failed');
    await shoot('activity');

    await page.getByLabel('Show', { exact: true }).selectOption({ label: 'Failed' });
    await page.locator('#activity-count').filter({ hasText: '1 message shown.' }).waitFor({ state: 'attached' });
    expect(await rows.count()).toBe(1);
    expect(requests).toContain('GET /messages?limit=10&status=failed');
    await page.context().close();
  });

  it('fits a 390 px screen in German', async () => {
    const { page, shoot } = await openConsole(browser, service, 'browser-activity', {
      view: 'activity',
      language: 'de',
      viewport: PHONE,
    });
    await page.locator('#activity-rows > li').first().waitFor();
    await page.getByRole('button', { name: 'Verlauf von activity-failed anzeigen' }).click();
    await page.locator('.timeline').filter({ hasText: 'Noch keine Ereignisse' }).waitFor();
    // The failure in German, from its code; the API's English detail only as marked secondary text.
    const failure = page.locator('.timeline .failure-note');
    expect(await failure.locator('p.failure').textContent()).toBe(
      'Die Absenderadresse gehört nicht zu Ihren registrierten Absendern. Verwenden Sie eine registrierte oder fügen Sie sie unter E-Mail-Versand hinzu.',
    );
    expect(await failure.locator('.failure-detail').textContent()).toMatch(/^Details des Dienstes \(auf Englisch\): /);
    expect(await failure.locator('.failure-detail span').getAttribute('lang')).toBe('en');
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('activity-de');
    await page.context().close();
  });
});

/** The verification key the SendGrid sandbox shows for an account's signed Event Webhook (its control API). */
async function sandboxVerificationKey(accountId: string, url: string): Promise<string> {
  const answer = await fetch(`${service.sandbox.globalUrl}/__sandbox/accounts/${accountId}/event-webhook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  return ((await answer.json()) as { publicKey: string }).publicKey;
}

describe('console page: SendGrid Event Webhook', () => {
  it('walks through registering the verification key, shows the URL to copy, re-issues it and turns it off', async () => {
    const tenant = 'browser-webhook';
    expect((await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    const { page, shoot } = await openConsole(browser, service, tenant);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const panel = page.getByRole('region', { name: 'Delivery reports from SendGrid' });
    await panel.locator('#webhook-state').filter({ hasText: 'Not set up' }).waitFor();
    expect(await panel.getByRole('link', { name: 'Open SendGrid’s Mail Settings' }).getAttribute('href')).toBe(
      'https://app.sendgrid.com/settings/mail_settings',
    );
    expect(await panel.textContent()).toContain('Settings → Mail Settings → Event Webhook');
    expect(await panel.textContent()).toContain('Signature Verification');

    // Something that is not SendGrid's key: the API's own words, tied to the field.
    const keyField = panel.getByLabel('SendGrid’s Verification Key');
    await keyField.fill('SG.not-this-one');
    await panel.getByRole('button', { name: 'Register key' }).click();
    await page.locator('#webhook-key-error').filter({ hasText: 'Verification Key' }).waitFor();
    expect(await keyField.getAttribute('aria-invalid')).toBe('true');

    const publicKey = await sandboxVerificationKey('acme', 'http://127.0.0.1:9/not-yet');
    await keyField.fill(publicKey);
    await panel.getByRole('button', { name: 'Register key' }).click();
    await page.locator('#webhook-notice').filter({ hasText: 'Key registered' }).waitFor();
    const registered = (await service.as(tenant).call('GET', '/integrations/sendgrid/event-webhook')).body;
    expect(await page.locator('#webhook-url').textContent()).toBe(registered.url);
    expect(await page.locator('#webhook-facts dd[data-field="fingerprint"]').textContent()).toBe(
      registered.publicKeyFingerprint,
    );
    expect(await page.locator('#webhook-facts dd[data-field="lastEventAt"]').textContent()).toContain(
      'No event received yet',
    );
    expect(await panel.locator('#webhook-state').textContent()).toBe('Set up');
    // The pasted key is not kept in the field nor written into the page.
    expect(await panel.getByLabel(/Verification Key/).inputValue()).toBe('');
    expect(await page.content()).not.toContain(publicKey);
    await panel.getByRole('button', { name: 'Copy the webhook URL' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(registered.url);
    await shoot('webhook-registered');

    await panel.getByRole('button', { name: 'Issue a new URL' }).click();
    await page.locator('#webhook-notice').filter({ hasText: 'New URL issued' }).waitFor();
    expect(await page.locator('#webhook-url').textContent()).not.toBe(registered.url);

    await panel.getByRole('button', { name: 'Turn off' }).click();
    await panel.locator('#webhook-confirm').getByRole('button', { name: 'Turn off' }).click();
    await page.locator('#webhook-notice').filter({ hasText: 'Delivery reports turned off' }).waitFor();
    expect((await service.as(tenant).call('GET', '/integrations/sendgrid/event-webhook')).status).toBe(404);
    expect(await panel.locator('#webhook-state').textContent()).toBe('Not set up');
    await page.context().close();
  });
});

describe('console page: Suppressions', () => {
  it('adds an address by hand, holds mail to it back, and removes it again', async () => {
    const tenant = 'browser-suppressions';
    expect((await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example'])).status).toBe(201);
    const { page, shoot } = await openConsole(browser, service, tenant, { view: 'suppressions' });
    await page.locator('#suppressions-empty:not([hidden])').waitFor();

    const field = page.getByLabel('Email address');
    await page.getByRole('button', { name: 'Add to the list' }).click();
    expect(await page.locator('#suppression-email-error').textContent()).toBe('Enter the address to suppress.');
    await field.fill('Gone@Customer.Example');
    await page.getByRole('button', { name: 'Add to the list' }).click();
    await page.locator('#suppressions-notice').filter({ hasText: 'gone@customer.example is on the list' }).waitFor();
    const row = page.locator('#suppression-rows > li[data-email="gone@customer.example"]');
    expect(await row.locator('.chip').textContent()).toBe('Added by hand');
    expect(await row.textContent()).toContain('since');
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('suppressions');

    // Mail to it is held back: Activity shows it as suppressed.
    expect(await publishSends(tenant, [{ messageId: 'to-suppressed', to: 'gone@customer.example' }])).toHaveLength(1);
    await page.getByRole('link', { name: 'Activity' }).click();
    const message = page.locator('#activity-rows > li[data-message-id="to-suppressed"]');
    await message.waitFor();
    expect(await message.locator('.chip').textContent()).toBe('Not sent: address suppressed');

    await page.getByRole('link', { name: 'Suppressions' }).click();
    await row.waitFor();
    await page.getByRole('button', { name: 'Remove gone@customer.example from the list' }).click();
    await page.locator('#suppressions-notice').filter({ hasText: 'mail to it is sent again' }).waitFor();
    expect(await row.count()).toBe(0);
    expect((await service.as(tenant).call('GET', '/suppressions')).body.suppressions).toEqual([]);
    await page.context().close();
  });
});
