import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { launchChromium, type Browser } from '../support/chromium';
import { call, startServer, type ChildServer } from '../support/child-server';
import { sleep, waitUntil } from '../support/wait';
import { announce, cell, openPage, SCREENSHOTS, WIDTHS, type WatchedPage } from './support';

/** The dashboard (DESIGN.md §11) in Debian's Chromium against a built server with data this file creates. */

const DEV = { repo_name: 'willow', branch_name: 'dev', os: 'linux' };
const FEATURE = { repo_name: 'willow', branch_name: 'feature', os: 'mac' };
const RELEASE = { repo_name: 'willow', branch_name: 'release', os: 'linux' };

async function text(locator: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<void> {
  let last: string | null = null;
  try {
    await waitUntil(async () => {
      last = (await locator.first().textContent({ timeout: timeoutMs }).catch(() => null))?.trim() ?? null;
      return last !== null && (typeof expected === 'string' ? last === expected : expected.test(last));
    }, timeoutMs);
  } catch {
    throw new Error(`expected ${String(expected)} in ${locator.toString()}, saw ${JSON.stringify(last)}`);
  }
}

async function visible(locator: Locator, timeoutMs = 10_000): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
}

jest.setTimeout(20_000);

describe('Dashboard at /ui in Chromium', () => {
  let server: ChildServer;
  let browser: Browser;
  let dataDir: string;
  let eventsServed = false;
  let authServed = false;
  const ids: Record<string, string> = {};
  let lockWaiter: AbortController;

  const api = async (method: string, path: string, body?: unknown, expected?: number) => {
    const answer = await call(server.url, method, path, body);
    if (expected !== undefined && answer.status !== expected) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer;
  };
  const open = (size: (typeof WIDTHS)[number]) =>
    openPage(browser, size);
  const goto = async (w: WatchedPage, hash: string) => {
    await w.page.goto(`${server.url}/ui/${hash}`);
  };

  beforeAll(async () => {
    // Only this file writes there: what a reader finds is this run's screenshots.
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    dataDir = mkdtempSync(join(tmpdir(), 'willow-dashboard-'));
    [server, browser] = await Promise.all([startServer({ WILLOW_DATA_DIR: dataDir, NODE_ENV: 'production' }), launchChromium()]);
    const document = (await (await fetch(`${server.url}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
      components?: { securitySchemes?: Record<string, { type?: string; scheme?: string }> };
    };
    eventsServed = '/v1/events' in document.paths;
    authServed = Object.values(document.components?.securitySchemes ?? {}).some((s) => s.type === 'http' && s.scheme === 'bearer');
    announce(`served OpenAPI document: GET /v1/events ${eventsServed ? 'present' : 'ABSENT'}, bearer security scheme ${authServed ? 'present' : 'ABSENT'} (both required)`);
  }, 60_000);

  afterAll(async () => {
    lockWaiter?.abort();
    await browser?.close();
    await server?.kill9();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    announce(`screenshots in ${SCREENSHOTS}`);
  });

  it('is served at /ui/ beside Swagger UI, the API and JSON 404s', async () => {
    const page = await fetch(`${server.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
    expect((await fetch(`${server.url}/ui`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
    for (const path of ['/ui/queues/builds', '/ui/assets/missing.js', '/v1/nothing-here', '/nothing-here']) {
      const answer = await fetch(`${server.url}${path}`);
      expect([path, answer.status, ((await answer.json()) as { Code: string }).Code]).toEqual([path, 404, 'ROUTE_NOT_FOUND']);
    }
    expect((await fetch(`${server.url}/docs`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/queues`)).status).toBe(200);
  });

  it('shows the empty state before any queue exists', async () => {
    for (const size of WIDTHS) {
      const w = await open(size);
      await goto(w, '');
      await visible(w.page.getByText('No queues yet — create one with the API or the CLI:'));
      await w.screenshot('queues-empty');
      expect(w.problems).toEqual([]);
      await w.close();
    }
  }, 30_000);

  it('creates the data the views show (through the API)', async () => {
    await api('POST', '/v1/limiter/rules', { Name: 'limit_cicd_branch_builds', GroupBy: ['repo_name', 'branch_name'], Limit: 1 }, 201);
    await api('POST', '/v1/limiter/rules/limit_cicd_branch_builds/overrides', { Name: 'main', KeyValues: { repo_name: 'willow', branch_name: 'main' }, Limit: 9001 }, 201);
    await api('POST', '/v1/limiter/rules', { Name: 'limit_ios_concurrent_builds', GroupBy: ['ios_required'], Limit: 4 }, 201);
    await api('POST', '/v1/queues', { Name: 'builds' }, 201);
    ids.running = (await api('POST', '/v1/queues/builds/items', { KeyValues: DEV, Data: { commit: 'a1' }, Updateable: false, Timeout: '10m', Priority: 3 }, 201)).body.ID;
    ids.next = (await api('POST', '/v1/queues/builds/items', { KeyValues: DEV, Data: { commit: 'b2' }, Updateable: false }, 201)).body.ID;
    expect((await api('POST', '/v1/queues/builds/items/dequeue', { Query: { Where: { branch_name: 'dev' } }, Wait: 0 }, 200)).body.ID).toBe(ids.running);
    // The limit of one build per branch refuses the next one: the channel is blocked.
    await api('POST', '/v1/queues/builds/items/dequeue', { Query: { Where: { branch_name: 'dev' } }, Wait: 0 }, 204);
    ids.feature = (await api('POST', '/v1/queues/builds/items', { KeyValues: FEATURE, Data: { commit: 'c3' }, Delay: '1h', Priority: 5 }, 201)).body.ID;
    ids.release = (await api('POST', '/v1/queues/builds/items', { KeyValues: RELEASE, Data: { commit: 'd4' }, Delay: '2h' }, 201)).body.ID;

    await api('POST', '/v1/queues', { Name: 'deploys' }, 201);
    for (const [name, service, error] of [
      ['deadApi', 'api', 'exit code 2'],
      ['deadWeb', 'web', 'health check failed'],
    ] as const) {
      ids[name] = (await api('POST', '/v1/queues/deploys/items', { KeyValues: { service, env: 'staging' }, Data: { version: '1.4.0' } }, 201)).body.ID;
      await api('POST', '/v1/queues/deploys/items/dequeue', { Query: { Where: { service } }, Wait: 0 }, 200);
      await api('POST', `/v1/queues/deploys/items/${ids[name]}/ack`, { Passed: false, Attempt: 1, Error: error }, 200);
    }
    await api('POST', '/v1/queues', { Name: 'nightly' }, 201);
    await api('PUT', '/v1/queues/nightly', { Paused: true }, 200);

    await api('POST', '/v1/locks', { KeyValues: { resource: 'staging' }, Timeout: '5m' }, 201);
    lockWaiter = new AbortController();
    fetch(`${server.url}/v1/locks`, { method: 'POST', body: JSON.stringify({ KeyValues: { resource: 'staging' }, Wait: '60s' }), headers: { 'content-type': 'application/json' }, signal: lockWaiter.signal }).catch(
      () => undefined,
    );
    await waitUntil(async () => (await api('GET', '/v1/locks')).body[0]?.Waiters === 1);
  });

  describe.each(WIDTHS)('at $width px', (size) => {
    let w: WatchedPage;
    beforeEach(async () => {
      w = await open(size);
    });
    afterEach(async () => {
      const problems = [...w.problems];
      await w.close();
      expect(problems).toEqual([]);
    });

    it('queues: every queue with its counts as the API gives them, and the paused one marked', async () => {
      await goto(w, '');
      const queues = (await api('GET', '/v1/queues')).body as Array<Record<string, number | string | boolean>>;
      expect(queues.map((q) => q.Name)).toEqual(['builds', 'deploys', 'nightly']);
      for (const q of queues) {
        for (const column of ['Waiting', 'Scheduled', 'Processing', 'Channels']) {
          await text(cell(w.page, 'data-queue', String(q.Name), column.toLowerCase()), String(q[column]));
        }
        await text(cell(w.page, 'data-queue', String(q.Name), 'paused'), q.Paused ? 'paused' : 'no');
      }
      await text(cell(w.page, 'data-queue', 'builds', 'waiting'), '3');
      await text(cell(w.page, 'data-queue', 'builds', 'processing'), '1');
      await w.screenshot('queues');
    });

    it("a queue's channels: the blocked one names its rule, and the limiter's explain shows the limit full", async () => {
      await goto(w, '#/queues/builds');
      const blocked = w.page.locator(`tr[data-channel='${JSON.stringify(DEV)}']`);
      await text(blocked.locator('.badge'), /^blocked by limit_cicd_branch_builds \(1\/1\)$/);
      const explain = w.page.getByLabel('Limiter explain');
      await visible(explain);
      await text(explain.locator('tbody tr').first().locator('td').first(), 'limit_cicd_branch_builds');
      await text(explain.getByRole('meter'), '1 / 1');
      await text(w.page.locator(`tr[data-channel='${JSON.stringify(FEATURE)}'] .badge`), 'flowing');
      await text(w.page.locator('[data-stat="processing"] dd'), '1');
      await w.screenshot('queue-channels');
      // Explain on demand for a channel that is not blocked.
      await w.page.locator(`tr[data-channel='${JSON.stringify(FEATURE)}']`).getByRole('button', { name: 'Explain' }).click();
      await waitUntil(async () => (await w.page.getByLabel('Limiter explain').count()) === 2);
      await text(w.page.getByLabel('Limiter explain').nth(1).getByRole('meter').first(), '0 / 1');
    });

    it("a queue's items: state, priority, attempt, position and due time; filtered by state", async () => {
      await goto(w, '#/queues/builds/items');
      const row = (id: string) => w.page.locator(`tr[data-item="${id}"]`);
      await text(row(ids.running!).locator('.badge'), 'processing');
      await text(row(ids.running!).locator('[data-label="Attempt"]'), '1');
      await text(row(ids.next!).locator('.badge'), 'waiting');
      await text(row(ids.running!).locator('[data-label="Priority"]'), '3');
      await text(row(ids.next!).locator('[data-label="Priority"]'), '0');
      await text(row(ids.next!).locator('[data-label="Position"]'), '0');
      await text(row(ids.feature!).locator('.badge'), 'scheduled');
      await text(row(ids.feature!).locator('[data-label="Priority"]'), '5');
      await text(row(ids.feature!).locator('[data-label="Not before"]'), /^in \d+ (min|h)$/);
      await w.screenshot('queue-items');
      await w.page.getByRole('link', { name: 'Scheduled' }).click();
      await waitUntil(async () => (await w.page.locator('tr[data-item]').count()) === 2);
      expect(await w.page.locator(`tr[data-item="${ids.running}"]`).count()).toBe(0);
    });

    it("a queue's dead letters with their attempts and last errors", async () => {
      await goto(w, '#/queues/deploys/dead-letters');
      await text(w.page.locator(`tr[data-dead-letter="${ids.deadApi}"] .last-error`), 'exit code 2');
      await text(w.page.locator(`tr[data-dead-letter="${ids.deadWeb}"] .last-error`), 'health check failed');
      await text(w.page.locator(`tr[data-dead-letter="${ids.deadApi}"] [data-label="Attempts"]`), '1');
      await w.screenshot('queue-dead-letters');
    });

    it('limiter: rules with overrides, and the running counter against its limit as a bar', async () => {
      await goto(w, '#/limiter');
      await visible(w.page.locator('tr[data-rule="limit_cicd_branch_builds"]'));
      await visible(w.page.locator('tr[data-rule="limit_ios_concurrent_builds"]'));
      await text(w.page.locator('tr[data-override="main"] td.num'), '9,001');
      await text(w.page.locator('tr[data-usage="limit_cicd_branch_builds"]').getByRole('meter'), '1 / 1');
      await visible(w.page.locator('table.counters').getByText('builds'));
      await w.screenshot('limiter');
    });

    it('locks: the held lock with its fencing token and one waiter', async () => {
      const [lock] = (await api('GET', '/v1/locks')).body as Array<{ LockID: string; FencingToken: number }>;
      await goto(w, '#/locks');
      await text(w.page.locator(`tr[data-lock="${lock!.LockID}"] [data-label="Fencing token"]`), String(lock!.FencingToken));
      await text(w.page.locator(`tr[data-lock="${lock!.LockID}"] [data-label="Waiters"]`), '1');
      await w.screenshot('locks');
    });

    it('activity: the live feed shows events as they happen', async () => {
      await goto(w, '#/activity');
      await visible(w.page.getByRole('heading', { name: 'Activity' }));
      await text(w.page.locator('.feed .live'), 'Live');
      // An item in and out of the paused queue: two events, no lasting change.
      const { body } = await api('POST', '/v1/queues/nightly/items', { KeyValues: { job: 'report' }, Data: {} }, 201);
      await api('DELETE', `/v1/queues/nightly/items/${body.ID}`, undefined, 204);
      await visible(w.page.locator('.feed [data-type="item.cancelled"]'));
      await visible(w.page.locator('.feed [data-type="item.enqueued"]'));
      await w.screenshot('activity');
    });

    it('pause and resume change the queue on the server', async () => {
      await goto(w, '');
      const row = w.page.locator('tr[data-queue="nightly"]');
      await row.getByRole('button', { name: 'Resume' }).click();
      await text(cell(w.page, 'data-queue', 'nightly', 'paused'), 'no');
      expect((await api('GET', '/v1/queues/nightly')).body.Paused).toBe(false);
      await row.getByRole('button', { name: 'Pause' }).click();
      await text(cell(w.page, 'data-queue', 'nightly', 'paused'), 'paused');
      expect((await api('GET', '/v1/queues/nightly')).body.Paused).toBe(true);
    });
  });

  describe('actions at 1280 px', () => {
    let w: WatchedPage;
    beforeEach(async () => {
      w = await open(WIDTHS[0]);
    });
    afterEach(async () => {
      const problems = [...w.problems];
      await w.close();
      expect(problems).toEqual([]);
    });

    it('cancel removes an item, after a second click', async () => {
      await goto(w, '#/queues/builds/items?state=scheduled');
      const row = w.page.locator(`tr[data-item="${ids.release}"]`);
      await row.getByRole('button', { name: 'Cancel' }).click();
      expect((await api('GET', `/v1/queues/builds/items/${ids.release}`)).status).toBe(200);
      await row.getByRole('button', { name: 'Cancel item?' }).click();
      await waitUntil(async () => (await row.count()) === 0);
      expect((await api('GET', `/v1/queues/builds/items/${ids.release}`)).status).toBe(404);
    });

    it('requeue puts a dead letter back in line; delete removes one for good', async () => {
      await goto(w, '#/queues/deploys/dead-letters');
      await w.page.locator(`tr[data-dead-letter="${ids.deadApi}"]`).getByRole('button', { name: 'Requeue' }).click();
      await waitUntil(async () => (await w.page.locator(`tr[data-dead-letter="${ids.deadApi}"]`).count()) === 0);
      expect((await api('GET', `/v1/queues/deploys/items/${ids.deadApi}`)).body.State).toBe('waiting');
      const web = w.page.locator(`tr[data-dead-letter="${ids.deadWeb}"]`);
      await web.getByRole('button', { name: 'Delete' }).click();
      await web.getByRole('button', { name: 'Delete for good?' }).click();
      await visible(w.page.getByText('No dead letters'));
      expect((await api('GET', '/v1/queues/deploys/dead-letters')).body).toEqual([]);
    });

    it('Download backup saves a copy of the store as a file', async () => {
      await goto(w, '#/');
      const [download] = await Promise.all([w.page.waitForEvent('download'), w.page.getByRole('button', { name: 'Download backup' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^willow-\d{8}T\d{6}Z\.db$/);
      const file = await download.path();
      expect(readFileSync(file).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
    });

    it('an action the server refuses says why in place', async () => {
      await goto(w, '#/queues/builds/items?state=waiting');
      const row = w.page.locator(`tr[data-item="${ids.next}"]`);
      await visible(row);
      // Gone behind the page's back: the cancel answers 404 and the row says so. The page's cancel is sent for an id
      // the server never had, rather than the item being cancelled through the API first: that cancel's event would
      // refresh the list and could take the row away before the second click.
      const gone = '01AAAAAAAAAAAAAAAAAAAAAAAA';
      await w.page.route(`**/v1/queues/builds/items/${ids.next}`, (route) =>
        route.request().method() === 'DELETE' ? route.continue({ url: route.request().url().replace(ids.next, gone) }) : route.continue(),
      );
      w.problems.length = 0;
      await row.getByRole('button', { name: 'Cancel' }).click();
      await row.getByRole('button', { name: 'Cancel item?' }).click();
      await text(row.getByRole('alert'), /ITEM_NOT_FOUND/);
      await w.page.unrouteAll();
      expect((await api('GET', `/v1/queues/builds/items/${gone}`)).status).toBe(404);
      expect(w.problems.filter((p) => !p.startsWith('HTTP 404: DELETE'))).toEqual([]);
      w.problems.length = 0;
    });
  });

  it('a queue that does not exist says so in place, and the page stays usable', async () => {
    const w = await openPage(browser, WIDTHS[1], { status: (url, status) => status === 404 && new URL(url).pathname.startsWith('/v1/queues/no-such-queue') });
    await goto(w, '#/queues/no-such-queue');
    await text(w.page.locator('main [role="alert"]').first(), /QUEUE_NOT_FOUND/);
    await w.screenshot('queue-missing');
    await w.page.getByRole('link', { name: 'Queues', exact: true }).first().click();
    await visible(w.page.locator('tr[data-queue="builds"]'));
    const problems = [...w.problems];
    await w.close();
    expect(problems).toEqual([]);
  });

  describe('live updates', () => {
    it('the served document has the event stream (observability has landed)', () => {
      expect(eventsServed).toBe(true);
    });

    it('a count changes without a reload after an enqueue through the API, and the feed shows the event', async () => {
      const w = await open(WIDTHS[0]);
      await goto(w, '');
      await w.page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 1));
      const waiting = cell(w.page, 'data-queue', 'deploys', 'waiting');
      const before = Number((await api('GET', '/v1/queues/deploys')).body.Waiting);
      await text(waiting, String(before));
      await text(w.page.locator('.live').first(), 'Live');
      await api('POST', '/v1/queues/deploys/items', { KeyValues: { service: 'db', env: 'staging' }, Data: {} }, 201);
      await text(waiting, String(before + 1));
      await visible(w.page.locator('.feed [data-type="item.enqueued"]'));
      expect(await w.page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
      await w.screenshot('queues-live');
      const problems = [...w.problems];
      await w.close();
      expect(problems).toEqual([]);
    }, 30_000);

    describe('on a server without the event stream (WILLOW_METRICS=off)', () => {
      let quiet: ChildServer;
      beforeAll(async () => {
        quiet = await startServer({ WILLOW_DATA_DIR: ':memory:', NODE_ENV: 'production', WILLOW_METRICS: 'off' });
        await call(quiet.url, 'POST', '/v1/queues', { Name: 'builds' });
      });
      afterAll(() => quiet?.kill9());

      it('says live updates are unavailable, does not poll, and Refresh fetches again', async () => {
        const w = await openPage(browser, WIDTHS[0], { status: (url, status) => status === 404 && new URL(url).pathname === '/v1/events' });
        await w.page.goto(`${quiet.url}/ui/`);
        await visible(w.page.locator('[data-live="unavailable"]'));
        await text(w.page.locator('.live').first(), 'Live updates unavailable');
        const waiting = cell(w.page, 'data-queue', 'builds', 'waiting');
        await text(waiting, '0');
        await call(quiet.url, 'POST', '/v1/queues/builds/items', { KeyValues: { os: 'linux' }, Data: {} });
        await sleep(1_500);
        await text(waiting, '0');
        await w.screenshot('queues-no-events');
        await w.page.locator('main').getByRole('button', { name: 'Refresh' }).click();
        await text(waiting, '1');
        const problems = [...w.problems];
        await w.close();
        expect(problems).toEqual([]);
      }, 30_000);
    });
  });

  describe('the key prompt, with access control on', () => {
    const KEY = `dashboard-test-admin-key-${'k'.repeat(24)}`;
    let secured: ChildServer;
    beforeAll(async () => {
      secured = await startServer({ WILLOW_DATA_DIR: ':memory:', NODE_ENV: 'production', WILLOW_ADMIN_KEY: KEY });
      const created = await fetch(`${secured.url}/v1/queues`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ Name: 'secured' }),
      });
      expect(created.status).toBe(201);
    });
    afterAll(() => secured?.kill9());

    it('serves the page and its files without a key', async () => {
      const html = await (await fetch(`${secured.url}/ui/`)).text();
      const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect((await fetch(`${secured.url}${script}`)).status).toBe(200);
      expect((await fetch(`${secured.url}/v1/queues`)).status).toBe(401);
    });

    it('the served document declares bearer keys (access control has landed)', () => {
      expect(authServed).toBe(true);
    });

    it("a key without a view's scope sees that view's 403 in place, and says live updates are not allowed", async () => {
      const created = await fetch(`${secured.url}/v1/auth/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ Name: 'viewer', Scopes: ['queues:read'] }),
      });
      expect(created.status).toBe(201);
      const viewer = ((await created.json()) as { Key: string }).Key;
      const w = await openPage(browser, WIDTHS[0], {
        status: (url, status, authorization) =>
          (status === 401 && authorization !== `Bearer ${viewer}`) ||
          (status === 403 && ['/v1/events', '/v1/limiter/rules', '/v1/limiter/counters'].includes(new URL(url).pathname)),
      });
      await w.page.goto(`${secured.url}/ui/`);
      const dialog = w.page.getByRole('dialog', { name: 'API key needed' });
      await dialog.getByLabel('API key').fill(viewer);
      await dialog.getByRole('button', { name: 'Use key' }).click();
      await text(cell(w.page, 'data-queue', 'secured', 'waiting'), '0');
      await text(w.page.locator('.top .live'), 'Live updates not allowed');
      await visible(w.page.locator('[data-live="forbidden"]'));
      await w.page.getByRole('link', { name: 'Limiter' }).click();
      await text(w.page.locator('main [role="alert"]').first(), /FORBIDDEN/);
      await w.screenshot('limiter-forbidden');
      const problems = [...w.problems];
      await w.close();
      expect(problems).toEqual([]);
    });

    it.each(WIDTHS)('asks for a key on a 401, keeps it for the tab only and sends it on every call ($width px)', async (size) => {
      let keyGiven = false;
      const w = await openPage(browser, size, {
        // Before the key, and for requests still carrying the wrong one (the stream reconnects with it too).
        status: (_url, status, authorization) => status === 401 && (!keyGiven || authorization !== `Bearer ${KEY}`),
      });
      const unkeyed: string[] = [];
      w.page.on('request', (request) => {
        const path = new URL(request.url()).pathname;
        if (keyGiven && path.startsWith('/v1/') && request.headers().authorization !== `Bearer ${KEY}`) unkeyed.push(`${request.method()} ${path}`);
      });
      await w.page.goto(`${secured.url}/ui/`);
      const dialog = w.page.getByRole('dialog', { name: 'API key needed' });
      await visible(dialog);
      await w.screenshot('key-prompt');
      await dialog.getByLabel('API key').fill('not-the-key');
      await dialog.getByRole('button', { name: 'Use key' }).click();
      await visible(dialog.getByText('That key was refused'));
      keyGiven = true;
      await dialog.getByLabel('API key').fill(KEY);
      await dialog.getByRole('button', { name: 'Use key' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await text(cell(w.page, 'data-queue', 'secured', 'waiting'), '0');
      expect(await w.page.evaluate("[sessionStorage.getItem('willow.apiKey'), localStorage.length]")).toEqual([KEY, 0]);
      // An action with the key changes the server.
      await w.page.locator('tr[data-queue="secured"]').getByRole('button', { name: 'Pause' }).click();
      await text(cell(w.page, 'data-queue', 'secured', 'paused'), 'paused');
      const queue = await fetch(`${secured.url}/v1/queues/secured`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(((await queue.json()) as { Paused: boolean }).Paused).toBe(true);
      await fetch(`${secured.url}/v1/queues/secured`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ Paused: false }),
      });
      // Kept for the tab: a reload asks nothing.
      await w.page.reload();
      await text(cell(w.page, 'data-queue', 'secured', 'paused'), 'no');
      expect(await dialog.count()).toBe(0);
      await w.screenshot('queues-with-key');
      expect(unkeyed).toEqual([]);
      // Forgetting the key asks again.
      keyGiven = false;
      await w.page.getByRole('button', { name: 'Forget key' }).click();
      await visible(dialog);
      expect(await w.page.evaluate("sessionStorage.getItem('willow.apiKey')")).toBeNull();
      const problems = [...w.problems];
      await w.close();
      // The reload and Forget key close the event stream the page had open (the second on purpose: it carried the
      // forgotten key), and so does the right key when the stream opened with the refused one is still waiting for
      // its 401 (a race: CI saw it once in four runs); Chromium reports those as aborted requests. Nothing else may fail.
      const closedStreams = problems.filter((p) => /^requestfailed: GET \S+\/v1\/events net::ERR_ABORTED$/.test(p));
      expect(closedStreams.length).toBeLessThanOrEqual(3);
      expect(problems.filter((p) => !closedStreams.includes(p))).toEqual([]);
    });
  });
});
