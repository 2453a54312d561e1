import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from '../e2e/local-service.js';
import { launchChromium, openConsole, PHONE, scrollsSideways } from './console-browser.js';

let service: LocalService;
let browser: Browser;

beforeAll(async () => {
  service = await startLocalService();
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await service?.close();
});

const key = (name: string) => service.sandbox.key(name).apiKey;

function open(tenant: string, options: { language?: 'en' | 'de'; viewport?: { width: number; height: number } } = {}) {
  return openConsole(browser, service, tenant, options);
}

async function verifyAndReachStep2(page: Page, apiKey: string): Promise<void> {
  await page.getByLabel('SendGrid API key').fill(apiKey);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Step 2 — pick the sender addresses' }).waitFor();
}

async function connect(page: Page, apiKey: string): Promise<void> {
  await verifyAndReachStep2(page, apiKey);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('heading', { name: 'Configured email addresses' }).waitFor();
}

/** Raw internal codes and routes that must never reach the person reading the page. */
const RAW_CODES = [/\bkey_rejected\b/, /\bactive\b/, /\bglobal\b/, /\bemails\.\d/, /\/integrations\/sendgrid/];

describe('console page: the key wizard', () => {
  it('keeps a key that failed a fixable check in its field, with the error tied to the field', async () => {
    const { page, shoot } = await open('browser-missing-scope');
    const keyField = page.getByLabel('SendGrid API key');
    await keyField.fill(key('missing-whitelabel-read'));
    await page.getByRole('button', { name: 'Verify' }).click();
    const error = page.locator('#api-key-error');
    await error.waitFor();

    expect(await error.textContent()).toContain('Set: Sender Authentication → Read Access');
    expect(await keyField.inputValue()).toBe(key('missing-whitelabel-read'));
    expect(await keyField.getAttribute('aria-invalid')).toBe('true');
    expect(await keyField.getAttribute('aria-describedby')).toContain('api-key-error');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
    expect(await error.locator('a').getAttribute('href')).toBe('https://app.sendgrid.com/settings/api_keys');
    // The key is a field value only, never written into the document.
    expect(await page.content()).not.toContain(key('missing-whitelabel-read'));
    await shoot('verify-failed');

    // A transient SendGrid failure costs nothing either: verify again once it is back.
    await keyField.fill(key('good'));
    service.sandbox.injectFault({ path: '/v3/scopes', status: 503, times: 4 });
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#verify-problem').waitFor();
    expect(await page.locator('#verify-problem').textContent()).toContain('Try again');
    service.sandbox.clearFaults();
    expect(await keyField.inputValue()).toBe(key('good'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Step 2 — pick the sender addresses' }).waitFor();
    await page.context().close();
  });

  it('lets the key be shown and hidden', async () => {
    const { page } = await open('browser-reveal');
    const keyField = page.getByLabel('SendGrid API key');
    await keyField.fill(key('good'));
    expect(await keyField.getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Show' }).click();
    expect(await keyField.getAttribute('type')).toBe('text');
    expect(await page.getByRole('button', { name: 'Hide' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Hide' }).click();
    expect(await keyField.getAttribute('type')).toBe('password');
    await page.context().close();
  });

  it('shows what the key found, lets the user go back, and adds an address', async () => {
    const { page, shoot } = await open('browser-found');
    await verifyAndReachStep2(page, key('good'));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('step-2-title');
    expect(await page.locator('#found-fields dd[data-field="keyId"]').textContent()).toBe(
      service.sandbox.key('good').keyId,
    );
    expect(await page.locator('#found-fields dt').allTextContents()).toContain('API Key ID');
    expect(await page.locator('#found-fields dd[data-field="region"]').textContent()).toBe('Global');
    expect(await page.locator('#found-fields dd[data-field="domains"]').textContent()).toContain(
      'news.acme.example — authenticated',
    );
    expect(await page.getByLabel('info@acme.example').isChecked()).toBe(true);
    expect(await page.getByLabel('noreply@acme.example').isChecked()).toBe(true);
    await shoot('step-2');

    // Back to step 1: the key is still there.
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await page.getByLabel('SendGrid API key').inputValue()).toBe(key('good'));
    await verifyAndReachStep2(page, key('good'));

    // "Add address": refused outside the key's domains, added (ticked) inside them.
    const add = page.locator('#senders-form').getByLabel('Another address at an authenticated domain');
    await add.fill('sales@elsewhere.example');
    await page.locator('#senders-form').getByRole('button', { name: 'Add address' }).click();
    expect(await page.locator('#wizard-add-error').textContent()).toContain('not at an authenticated domain');
    expect(await add.getAttribute('aria-invalid')).toBe('true');
    await add.fill('sales@news.acme.example');
    await add.press('Enter');
    expect(await page.getByLabel('sales@news.acme.example').isChecked()).toBe(true);

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await page.locator('#card-emails li').allTextContents()).toContain('sales@news.acme.example');
    expect(await page.getByLabel('SendGrid API key').inputValue()).toBe('');
    await page.context().close();
  });

  it('completes the wizard with the keyboard alone', async () => {
    const { page } = await open('browser-keyboard');
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
    const tabTo = async (wanted: string) => {
      for (let step = 0; step < 40 && (await focused()) !== wanted; step += 1) await page.keyboard.press('Tab');
      expect(await focused()).toBe(wanted);
    };
    await tabTo('api-key');
    await page.keyboard.type(key('good'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Step 2 — pick the sender addresses' }).waitFor();
    expect(await focused()).toBe('step-2-title');
    // Untick noreply@ with the space bar, then save with Enter on the Save button.
    await tabTo('wizard-sender-1');
    await page.keyboard.press('Space');
    expect(await page.getByLabel('noreply@acme.example').isChecked()).toBe(false);
    await tabTo('Save');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await focused()).toBe('card-notice');
    expect(await page.locator('#card-emails li').allTextContents()).toEqual([
      'info@acme.example',
      'info@news.acme.example',
      'noreply@news.acme.example',
    ]);
    await page.context().close();
  });

  it('saves once and sends one test email on a double-click, and says whether it was delivered', async () => {
    const { page, requests, shoot } = await open('browser-double');
    await verifyAndReachStep2(page, key('good'));
    await page.getByRole('button', { name: 'Save', exact: true }).dblclick();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(requests.filter((request) => request === 'PUT /integrations/sendgrid')).toHaveLength(1);
    expect(await page.locator('.problem:not([hidden])').count()).toBe(0);

    const before = service.sandbox.messages().length;
    await page.getByLabel('To', { exact: true }).fill('me@customer.example');
    await page.getByRole('button', { name: 'Send test email' }).dblclick();
    const notice = page.locator('#test-notice');
    await notice.waitFor();
    expect(requests.filter((request) => request === 'POST /integrations/sendgrid/test')).toHaveLength(1);
    expect(service.sandbox.messages()).toHaveLength(before + 1);
    expect(service.sandbox.messages().at(-1)).toMatchObject({ sandboxMode: true });
    expect(await notice.textContent()).toContain('Sandbox check passed');
    expect(await notice.textContent()).toContain('Nothing was delivered');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('test-notice');
    await shoot('test-checked');

    await page.getByLabel('Really deliver it to the address above').check();
    await page.getByRole('button', { name: 'Send test email' }).click();
    await notice.filter({ hasText: 'Sent for real' }).waitFor();
    expect(service.sandbox.messages().at(-1)).toMatchObject({ sandboxMode: false });
    await page.context().close();
  });
});

describe('console page: the card', () => {
  it('rotates the key and edits the senders with checkboxes, warning before a set without customer mail', async () => {
    const { page, shoot } = await open('browser-card');
    await connect(page, key('good'));

    await page.getByLabel('New API key').fill(key('good-second'));
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.locator('#rotate-notice').filter({ hasText: 'Key rotated' }).waitFor();
    expect(await page.locator('#card-fields dd[data-field="keyId"]').textContent()).toBe(
      service.sandbox.key('good-second').keyId,
    );
    expect(await page.getByLabel('New API key').inputValue()).toBe('');

    // Only noreply@ left: customer mail could not be sent, so saving needs an explicit tick.
    const edit = page.locator('#edit-form');
    await edit.getByLabel('info@acme.example').uncheck();
    await edit.getByLabel('info@news.acme.example').uncheck();
    await edit.getByLabel('noreply@news.acme.example').uncheck();
    await edit.locator('.warning').filter({ hasText: 'Customer mail cannot be sent' }).waitFor();
    await page.getByRole('button', { name: 'Save senders' }).click();
    expect(await page.locator('#edit-error').textContent()).toContain('Save anyway');
    expect(await edit.getByLabel(/Save anyway/).getAttribute('aria-invalid')).toBe('true');
    await shoot('senders-warning');

    await edit.getByLabel('info@acme.example').check();
    await edit.getByLabel('Another address at an authenticated domain').fill('sales@news.acme.example');
    await edit.getByRole('button', { name: 'Add address' }).click();
    await page.getByRole('button', { name: 'Save senders' }).click();
    await page.locator('#edit-notice').waitFor();
    expect(await page.locator('#card-emails li').allTextContents()).toEqual([
      'info@acme.example',
      'noreply@acme.example',
      'sales@news.acme.example',
    ]);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('edit-notice');
    await page.context().close();
  });

  it('ties a sender the key cannot use to its checkbox', async () => {
    const { page } = await open('browser-bad-sender');
    await connect(page, key('good'));
    const edit = page.locator('#edit-form');
    await edit.getByLabel('Another address at an authenticated domain').fill('info@globex.example');
    await edit.getByRole('button', { name: 'Add address' }).click();
    await page.getByRole('button', { name: 'Save senders' }).click();
    await page.locator('#edit-error').waitFor();
    expect(await page.locator('#edit-error').textContent()).toContain('info@globex.example');
    expect(await edit.getByLabel('info@globex.example').getAttribute('aria-invalid')).toBe('true');
    expect(await edit.getByLabel('info@globex.example').getAttribute('aria-describedby')).toBe('edit-error');
    await page.context().close();
  });

  it('asks in a dialog before deleting, naming what is lost and the key to revoke', async () => {
    const { page, shoot } = await open('browser-delete');
    await connect(page, key('good'));
    const keyId = service.sandbox.key('good').keyId;

    await page.getByRole('button', { name: 'Delete integration…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the SendGrid integration?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`API Key ID ${keyId}`);
    expect(await dialog.textContent()).toContain('info@acme.example');
    expect(await dialog.textContent()).toContain('still works in SendGrid until you delete it there');
    await shoot('delete-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await service.as('browser-delete').card()).status).toBe(200);

    await page.getByRole('button', { name: 'Delete integration…' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('#wizard-notice').filter({ hasText: 'Integration deleted' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('wizard-notice');
    expect((await service.as('browser-delete').card()).status).toBe(404);
    await page.context().close();
  });

  it('shows a broken integration as an emergency with its next step, in human words', async () => {
    const good = service.sandbox.key('good');
    const doomed = service.sandbox.addKey({
      name: 'browser-doomed',
      accountId: good.accountId,
      scopes: good.scopes,
      revoked: false,
      canReadVerifiedSenders: good.canReadVerifiedSenders,
      description: 'revoked by the test',
    });
    expect((await service.as('browser-broken').save(doomed.apiKey, ['info@acme.example'])).status).toBe(201);
    service.sandbox.revokeKey(doomed.keyId);
    expect((await service.as(undefined).call('POST', '/local/health-check')).status).toBe(200);

    for (const language of ['en', 'de'] as const) {
      const { page, shoot } = await open('browser-broken', { language });
      const emergency = page.locator('#emergency');
      await emergency.waitFor();
      expect(await emergency.textContent()).toContain(
        language === 'en'
          ? 'Mail is not being sent: rotate the key'
          : 'Es werden keine E-Mails gesendet: rotieren Sie den Schlüssel',
      );
      // biome-ignore lint/performance/useDomNodeTextContent: only what a person sees counts here
      const visibleText = await page.locator('main').innerText();
      for (const raw of RAW_CODES) expect(visibleText).not.toMatch(raw);
      await shoot(`emergency-${language}`);
      await emergency.getByRole('button').click();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('rotate-key');
      await page.context().close();
    }
  });
});

describe('console page: two windows and two languages', () => {
  it('tells a stale second window "changed in another window — reload" instead of overwriting', async () => {
    const first = await open('browser-stale');
    const second = await open('browser-stale');
    // Both windows start on the wizard; the first one saves.
    await connect(first.page, key('good'));
    await verifyAndReachStep2(second.page, key('good-second'));
    await second.page.getByRole('button', { name: 'Save', exact: true }).click();
    const saveProblem = second.page.locator('#save-problem');
    await saveProblem.waitFor();
    expect(await saveProblem.textContent()).toContain('Changed in another window — reload');
    expect((await service.as('browser-stale').card()).body.keyId).toBe(service.sandbox.key('good').keyId);
    await second.shoot('stale-save');

    // Both show the card; the first rotates, the second (stale) edits senders.
    await saveProblem.getByRole('button', { name: 'Reload' }).click();
    await second.page.getByRole('heading', { name: 'Configured email addresses' }).waitFor();
    await first.page.getByLabel('New API key').fill(key('good-second'));
    await first.page.getByRole('button', { name: 'Rotate key' }).click();
    await first.page.locator('#rotate-notice').waitFor();
    const before = (await service.as('browser-stale').card()).body;

    await second.page.locator('#edit-form').getByLabel('info@news.acme.example').uncheck();
    await second.page.getByRole('button', { name: 'Save senders' }).click();
    const editProblem = second.page.locator('#edit-problem');
    await editProblem.waitFor();
    expect(await editProblem.textContent()).toContain('Changed in another window — reload');
    expect(await second.page.evaluate(() => document.activeElement?.id)).toBe('edit-problem');
    expect((await service.as('browser-stale').card()).body).toEqual(before);
    await second.shoot('stale-edit');

    await editProblem.getByRole('button', { name: 'Reload' }).click();
    await second.page
      .locator('#card-fields dd[data-field="keyId"]')
      .filter({ hasText: service.sandbox.key('good-second').keyId })
      .waitFor();
    await first.page.context().close();
    await second.page.context().close();
  });

  it('shows the server’s messages and labels in German', async () => {
    const { page, shoot } = await open('browser-german', { language: 'de' });
    await page.getByLabel('SendGrid-API-Schlüssel').fill(key('missing-whitelabel-read'));
    await page.getByRole('button', { name: 'Prüfen' }).click();
    const error = page.locator('#api-key-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('Dem Schlüssel fehlen Berechtigungen');
    expect(await error.textContent()).toContain('Dem Schlüssel fehlt');
    expect(await error.textContent()).toContain('Setzen: Sender Authentication → Read Access');
    await shoot('german-problem');

    await page.getByLabel('SendGrid-API-Schlüssel').fill(key('good'));
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await page.getByRole('button', { name: 'Speichern', exact: true }).click();
    await page.locator('#card-fields dd[data-field="status"]').filter({ hasText: 'Funktioniert' }).waitFor();
    await page.getByLabel('Neuer API-Schlüssel').fill(key('good'));
    await page.getByRole('button', { name: 'Schlüssel rotieren' }).click();
    await page.locator('#rotate-key-error').filter({ hasText: 'bereits gespeicherte Schlüssel' }).waitFor();
    await shoot('german-same-key');

    // Switching the language asks the API for the status words again.
    await page.getByLabel('Sprache').selectOption('en');
    await page.locator('#card-fields dd[data-field="status"]').filter({ hasText: 'Working' }).waitFor();
    await page.context().close();
  });
});

describe('console page: context', () => {
  it('keeps tenant and language in the URL and shows messages only for their tenant', async () => {
    const { page } = await open('browser-url-a', { language: 'de' });
    await page.getByRole('heading', { name: 'SendGrid verbinden' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'SendGrid verbinden' }).waitFor();
    expect(await page.getByLabel('Mandant').inputValue()).toBe('browser-url-a');

    await page.getByLabel('SendGrid-API-Schlüssel').fill(key('good'));
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await page.getByRole('button', { name: 'Speichern', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Gespeichert.' }).waitFor();

    await page.getByLabel('Mandant').fill('browser-url-b');
    await page.getByLabel('Mandant').press('Enter');
    await page.getByRole('heading', { name: 'SendGrid verbinden' }).waitFor();
    expect(new URL(page.url()).searchParams.get('tenant')).toBe('browser-url-b');
    expect(await page.getByText('Gespeichert.').count()).toBe(0);

    await page.getByLabel('Sprache').selectOption('en');
    expect(new URL(page.url()).searchParams.get('lang')).toBe('en');
    await page.getByLabel('Tenant').fill('browser-url-a');
    await page.getByLabel('Tenant').press('Enter');
    await page.getByRole('heading', { name: 'Configured email addresses' }).waitFor();
    expect(await page.getByText('Saved.').count()).toBe(0);
    await page.context().close();
  });

  it('fits a 390 px screen without scrolling sideways, in every state', async () => {
    const { page, shoot } = await open('browser-phone', { viewport: PHONE, language: 'de' });
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('step-1');
    await page.getByLabel('SendGrid-API-Schlüssel').fill(key('full-access'));
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await page.locator('#api-key-error').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('verify-failed');

    await page.getByLabel('SendGrid-API-Schlüssel').fill(key('good-with-senders'));
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await page.getByRole('heading', { name: 'Schritt 2 — Absenderadressen wählen' }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('step-2');
    await page.getByRole('button', { name: 'Speichern', exact: true }).click();
    await page.getByRole('heading', { name: 'Konfigurierte E-Mail-Adressen' }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('card');

    await page.getByRole('button', { name: 'Integration löschen…' }).click();
    await page.getByRole('dialog').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await shoot('delete-dialog');
    await page.context().close();
  });
});
