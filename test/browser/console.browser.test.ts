import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from '../e2e/local-service.js';

/** Debian's Chromium (`.ci/run` installs it); never a downloaded browser build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = 'test-results/screenshots';

let service: LocalService;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  service = await startLocalService();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await service?.close();
});

const key = (name: string) => service.sandbox.key(name).apiKey;

async function openAs(tenant: string): Promise<void> {
  await page.goto(service.runtime.url);
  await page.getByLabel('Tenant').fill(tenant);
  await page.getByLabel('Tenant').press('Tab');
  await page.getByRole('heading', { name: 'Connect SendGrid' }).waitFor();
}

describe('reference console page', () => {
  it('shows exactly which SendGrid setting to change when a scope is missing', async () => {
    await openAs('browser-missing-scope');
    await page.getByLabel('SendGrid API key').fill(key('missing-whitelabel-read'));
    await page.getByRole('button', { name: 'Verify' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Set: Sender Authentication → Read Access');
    // The key is not left in the page after submitting.
    expect(await page.getByLabel('SendGrid API key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(key('missing-whitelabel-read'));
    await page.screenshot({ path: `${SCREENSHOTS}/missing-scope.png`, fullPage: true });
  });

  it('connects a good key, shows the card, sends a test, rotates, edits and deletes', async () => {
    await openAs('browser-good');
    await page.getByLabel('SendGrid API key').fill(key('good'));
    await page.getByRole('button', { name: 'Verify' }).click();

    // Step 2: info@ and noreply@ are preselected.
    await page.getByRole('heading', { name: 'Step 2 — pick the sender addresses' }).waitFor();
    expect(await page.getByLabel('info@acme.example').isChecked()).toBe(true);
    expect(await page.getByLabel('noreply@acme.example').isChecked()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/pick-senders.png`, fullPage: true });
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    // The card, in German too.
    await page.getByRole('heading', { name: 'Configured email addresses' }).waitFor();
    expect(await page.locator('#card-emails').textContent()).toContain('noreply@acme.example');
    expect(await page.locator('dd[data-field="keyId"]').textContent()).toBe(service.sandbox.key('good').keyId);
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('heading', { name: 'Konfigurierte E-Mail-Adressen' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/card-de.png`, fullPage: true });
    await page.getByLabel('Sprache').selectOption('en');

    // A test email, in SendGrid's sandbox mode, appears in the sandbox view.
    await page.getByLabel('To', { exact: true }).fill('me@customer.example');
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.getByRole('status').filter({ hasText: 'Test email accepted by SendGrid' }).waitFor();
    await page.locator('#message-rows tr', { hasText: 'me@customer.example' }).first().waitFor();
    expect(service.sandbox.messages().at(-1)).toMatchObject({ sandboxMode: true });
    await page.screenshot({ path: `${SCREENSHOTS}/test-sent.png`, fullPage: true });

    // Rotate to the second key of the same account: the key id changes, the senders stay.
    await page.getByLabel('New API key').fill(key('good-second'));
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('status').filter({ hasText: 'Key rotated' }).waitFor();
    expect(await page.locator('dd[data-field="keyId"]').textContent()).toBe(service.sandbox.key('good-second').keyId);

    // Edit the senders.
    await page.getByLabel('One address per line').fill('info@acme.example\nsales@news.acme.example');
    await page.getByRole('button', { name: 'Save senders' }).click();
    await page.getByRole('status').filter({ hasText: 'Senders saved' }).waitFor();
    expect(await page.locator('#card-emails li').allTextContents()).toEqual([
      'info@acme.example',
      'sales@news.acme.example',
    ]);

    // Delete, after confirming.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete integration' }).click();
    await page.getByRole('heading', { name: 'Connect SendGrid' }).waitFor();
    expect((await service.as('browser-good').card()).status).toBe(404);
  });
});
