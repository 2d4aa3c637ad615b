import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it where it is missing. */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The machines here have no network: nothing in the browser may try to reach one. */
const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** A headless Chromium with a fresh profile (Playwright makes a new user-data-dir per launch). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(
      `no Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: flags });
}

export interface PageWatch {
  /** Console errors and uncaught page errors, in the order they happened. */
  errors: string[];
  /** Every URL the page requested. */
  urls: string[];
}

/** Records what a page should never produce (console errors) and every URL it asks for. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { errors: [], urls: [] };
  page.on('console', (message) => {
    if (message.type() === 'error')
      watch.errors.push(`console: ${message.text()} @ ${message.location().url}`);
  });
  page.on('pageerror', (error) => watch.errors.push(`page: ${error.message}`));
  page.on('request', (request) => watch.urls.push(request.url()));
  return watch;
}

export const screenshotsDir = join(__dirname, '../../docs/screenshots');

/** A PNG for the README (docs/screenshots), taken by the test so it shows what the code does. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`) });
}
