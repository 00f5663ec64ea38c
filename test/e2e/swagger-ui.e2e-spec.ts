import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Page } from 'playwright-core';
import { mountSwagger } from '../../src/platform/http/swagger';
import { launchChromium, type Browser } from '../support/chromium';
import { startServer, type ChildServer } from '../support/child-server';
import { createTestApp, type TestApp } from '../support/test-app';

// Hooks start Chromium and built servers as child processes: on two busy cores under the whole suite, that can take
// longer than Jest's default 5 s (as the other suites that start processes allow).
jest.setTimeout(30_000);

const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, '.artifacts');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Text that breaks a document spliced into a script with String.replace, or into an inline <script>. */
const HOSTILE = "costs $` and $& and $' and $$ and $1 and ${x} and </script><script>throw 1</script> and <!--";

type Operation = { summary?: string; description?: string };

function operationsOf(document: OpenAPIObject): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** The committed document, with hostile text in the overview, in every description and in one summary. */
function hostileDocument(): { document: OpenAPIObject; summary: string } {
  const document = JSON.parse(readFileSync(join(ROOT, 'openapi', 'openapi.json'), 'utf8')) as OpenAPIObject;
  document.info.description = `${document.info.description ?? ''} ${HOSTILE} \u2028\u2029`;
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) op.description = `${op.description ?? ''} ${HOSTILE}`;
    }
  }
  const summary = `Poisoned ${HOSTILE}`;
  (document.paths['/v1/queues']!.post as Operation).summary = summary;
  return { document, summary };
}

/** Opens /docs and collects the operations Swagger UI shows and every page or console error. */
async function openDocs(page: Page, baseUrl: string, expectedCount: number, screenshot: string) {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto(`${baseUrl}/docs`);
  // Waits for the last operation; on a broken page the assertions below say what is missing.
  await page.locator('.opblock').nth(expectedCount - 1).waitFor({ timeout: 20_000 }).catch(() => undefined);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, screenshot), fullPage: true });
  const shown = await page.$$eval('.opblock', (blocks) =>
    blocks.map((b) => {
      const method = b.querySelector('.opblock-summary-method')?.textContent ?? '';
      const path = b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
      return `${method.toUpperCase()} ${path}`;
    }),
  );
  return { errors, shown: shown.sort() };
}

describe('Swagger UI in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  describe('the built server', () => {
    let server: ChildServer;
    beforeAll(async () => {
      server = await startServer({ WILLOW_DATA_DIR: ':memory:', NODE_ENV: 'production' });
    });
    afterAll(() => server?.kill9());

    it('shows every operation of the served document, with no page error', async () => {
      const served = (await (await fetch(`${server.url}/docs-json`)).json()) as OpenAPIObject;
      const operations = operationsOf(served).sort();
      const page = await browser.context.newPage();
      const seen = await openDocs(page, server.url, operations.length, 'swagger-ui.png');
      expect(seen).toEqual({ errors: [], shown: operations });
      await expect(page.getByText('Enqueue an item', { exact: false }).count()).resolves.toBeGreaterThan(0);
    }, 60_000);
  });

  describe('the Authorize button, with WILLOW_ADMIN_KEY set', () => {
    const adminKey = 'swagger-admin-key-0123456789-abcdefghij';
    let server: ChildServer;
    beforeAll(async () => {
      server = await startServer({ WILLOW_DATA_DIR: ':memory:', WILLOW_ADMIN_KEY: adminKey });
    });
    afterAll(() => server?.kill9());

    it('takes a key, and Try it out then answers 200 where it answered 401 without one', async () => {
      const served = (await (await fetch(`${server.url}/docs-json`)).json()) as OpenAPIObject;
      const page = await browser.context.newPage();
      const seen = await openDocs(page, server.url, operationsOf(served).length, 'swagger-ui-authorize.png');
      expect(seen.errors).toEqual([]);
      const execute = async () => {
        const operation = page.locator('#operations-queues-queues_list');
        if (!(await operation.locator('.try-out__btn').isVisible())) await operation.locator('.opblock-summary').click();
        if ((await operation.locator('.try-out__btn').textContent())?.includes('Try it out')) await operation.locator('.try-out__btn').click();
        await operation.locator('.execute').click();
        const status = operation.locator('.live-responses-table .response .response-col_status').first();
        await status.waitFor({ timeout: 10_000 });
        const text = (await status.textContent())?.trim() ?? '';
        await operation.locator('.btn-clear').click().catch(() => undefined);
        return text;
      };
      expect(await execute()).toMatch(/^401/);
      await page.locator('.auth-wrapper .authorize').first().click();
      await page.locator('.modal-ux input[type=text], .modal-ux input[type=password]').first().fill(adminKey);
      await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
      await page.locator('.modal-ux .auth-btn-wrapper .btn-done, .modal-ux .close-modal').first().click();
      expect(await execute()).toMatch(/^200/);
      await page.close();
    }, 60_000);
  });

  describe('a document with hostile descriptions', () => {
    let app: TestApp;
    const { document, summary } = hostileDocument();
    beforeAll(async () => {
      app = await createTestApp({}, { beforeListen: (nest) => mountSwagger(nest, document) });
    });
    afterAll(() => app?.close());

    it('still shows every operation, the hostile summary verbatim, with no page error', async () => {
      const page = await browser.context.newPage();
      const operations = operationsOf(document).sort();
      const seen = await openDocs(page, app.url, operations.length, 'swagger-ui-hostile.png');
      expect(seen).toEqual({ errors: [], shown: operations });
      await expect(page.locator('.opblock-summary-description', { hasText: summary }).count()).resolves.toBe(1);
    }, 60_000);

    it('serves an init script that holds no document text', async () => {
      const script = await (await fetch(`${app.url}/docs/swagger-ui-init.js`)).text();
      expect(script).not.toContain('$&');
      expect(() => new Function(script)).not.toThrow();
    });
  });
});
