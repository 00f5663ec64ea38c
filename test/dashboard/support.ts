import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Browser } from '../support/chromium';

export const ROOT = join(__dirname, '..', '..');
/** Kept by CI with the other test results (gitignored). */
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

export const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
export type Width = (typeof WIDTHS)[number];

/** What a test allows beyond a clean page: answers it expects to fail (the 401 before a key, a missing route). */
export interface Allowed {
  readonly status?: (url: string, status: number, authorization: string | undefined) => boolean;
}

/** A page with every page error, failed request and 4xx/5xx answer recorded, to be asserted empty. */
export interface WatchedPage {
  readonly page: Page;
  readonly problems: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPage(browser: Browser, size: Width, allowed: Allowed = {}): Promise<WatchedPage> {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: size.width, height: size.height });
  const problems: string[] = [];
  let closing = false;
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium also logs every 4xx/5xx answer as "Failed to load resource"; those are judged by status below.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    if (!closing) problems.push(`requestfailed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  page.on('response', (response) => {
    const status = response.status();
    if (status >= 400 && !allowed.status?.(response.url(), status, response.request().headers().authorization)) problems.push(`HTTP ${status}: ${response.request().method()} ${response.url()}`);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    page,
    problems,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size.width}.png`), fullPage: true });
    },
    close: async () => {
      closing = true;
      await page.close();
    },
  };
}

/** The text of a table cell of the row whose `data-*` attribute is `value`. */
export function cell(page: Page, rowAttribute: string, value: string, column: string) {
  return page.locator(`tr[${rowAttribute}="${value.replace(/"/g, '\\"')}"] [data-col="${column}"]`);
}

/** Loud, so a reader of CI's output sees which variant of a gated test ran. */
export function announce(message: string): void {
  process.stdout.write(`\n*** dashboard test: ${message}\n`);
}
