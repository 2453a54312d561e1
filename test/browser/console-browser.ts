import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { LocalService } from '../e2e/local-service.js';

/** Debian's Chromium (`.ci/run` installs it); never a downloaded browser build. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where screenshots go, to be looked at (and kept by CI as artifacts). */
export const SCREENSHOTS = 'test-results/screenshots';
export const WIDE = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Starts Debian's Chromium headless. */
export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** A page in a fresh browser context, recording the API requests it makes. */
export interface ConsolePage {
  page: Page;
  /** `METHOD /path` of every request to the API, in order. */
  requests: string[];
  shoot(name: string): Promise<void>;
}

/** Opens the console for a tenant, on a view, once its first content is on screen. */
export async function openConsole(
  browser: Browser,
  service: LocalService,
  tenant: string,
  options: { language?: 'en' | 'de'; viewport?: { width: number; height: number }; view?: string } = {},
): Promise<ConsolePage> {
  const viewport = options.viewport ?? WIDE;
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (/^\/(integrations|messages|suppressions)\b/.test(url.pathname)) {
      requests.push(`${request.method()} ${url.pathname}${url.search}`);
    }
  });
  const view = options.view ? `&view=${options.view}` : '';
  await page.goto(`${service.runtime.url}/?tenant=${tenant}&lang=${options.language ?? 'en'}${view}`);
  if (!options.view || options.view === 'sending') {
    await page.locator('#loading').waitFor({ state: 'hidden' });
    await page.locator('#wizard:not([hidden]), #card:not([hidden])').waitFor();
  }
  return {
    page,
    requests,
    shoot: async (name) => {
      await page.screenshot({ path: `${SCREENSHOTS}/${name}-${viewport.width}.png`, fullPage: true });
    },
  };
}

/** Whether the page scrolls sideways at its current width. */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
