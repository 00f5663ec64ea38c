import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Willow, call } from '@willow/client';
import { eventually, startFixture, type ClientFixture } from './support';

const run = promisify(execFile);

/** withLock of @willow/client against a real server, and a worker's process exiting by itself after stop(). */
describe('Willow.withLock', () => {
  let fx: ClientFixture;
  let dir: string;
  const locks = () => call(fx.willow.api.GET('/v1/locks'));

  beforeAll(async () => {
    fx = await startFixture();
    dir = mkdtempSync(join(tmpdir(), 'willow-lock-'));
  }, 60_000);
  afterAll(async () => {
    await fx?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('excludes two OS processes from each other, with rising fencing tokens', async () => {
    const log = join(dir, 'critical.log');
    const holder = join(__dirname, 'fixtures', 'lock-holder.cjs');
    const env = { ...process.env, WILLOW_URL: fx.server.url };
    await Promise.all([run(process.execPath, [holder, log, '15'], { env }), run(process.execPath, [holder, log, '15'], { env })]);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    expect(lines).toHaveLength(60);
    const pids = new Set<string>();
    const tokens: number[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, exit] = [lines[i]!, lines[i + 1]!];
      expect([enter[0], exit[0]]).toEqual(['enter', 'exit']);
      expect(exit.slice(1)).toEqual(enter.slice(1));
      pids.add(enter[1]!);
      tokens.push(Number(enter[2]));
    }
    expect(pids.size).toBe(2);
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
    expect(new Set(tokens).size).toBe(30);
    expect(await locks()).toEqual([]);
  }, 90_000);

  it('releases the lock when fn throws, and passes the error on', async () => {
    await expect(
      fx.willow.withLock({ resource: 'throws' }, () => {
        throw new Error('deploy failed');
      }),
    ).rejects.toThrow('deploy failed');
    expect(await locks()).toEqual([]);
  });

  it('keeps the lock across several Timeouts, then answers LOCK_HELD to a second holder meanwhile', async () => {
    const result = await fx.willow.withLock({ resource: 'long' }, async ({ fencingToken, signal }) => {
      await new Promise((r) => setTimeout(r, 5_000));
      const other = await fx.willow.withLock({ resource: 'long' }, () => 'never', { wait: 0 }).catch((e) => e);
      return { fencingToken, aborted: signal.aborted, other: { status: other.status, code: other.code } };
    }, { timeout: '2s' });
    expect(result).toMatchObject({ aborted: false, other: { status: 409, code: 'LOCK_HELD' } });
    expect(await locks()).toEqual([]);
  }, 30_000);

  it('gives up waiting when its signal aborts; the lock then goes to no one', async () => {
    const waiter = new AbortController();
    const outcome = await fx.willow.withLock({ resource: 'waited' }, async () => {
      const waiting = fx.willow.withLock({ resource: 'waited' }, () => 'granted', { wait: '30s', signal: waiter.signal }).catch((e: Error) => e.name);
      await new Promise((r) => setTimeout(r, 300));
      waiter.abort();
      return waiting;
    });
    expect(outcome).toBe('AbortError');
    await eventually(async () => (await locks()).length === 0, 20_000, 'the lock to be free');
  }, 30_000);

  it('aborts the signal when the lease runs out because heartbeats cannot get through', async () => {
    const blocked = new Willow({
      baseUrl: fx.server.url,
      fetch: (input, init) => (String(input instanceof Request ? input.url : input).endsWith('/heartbeat') ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)),
    });
    const errors: unknown[] = [];
    const reason = await blocked.withLock({ resource: 'lost' }, ({ signal }) =>
      new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true })), { timeout: '1s', onError: (e) => errors.push(e) });
    expect(reason).toMatchObject({ code: 'LEASE_LOST' });
    expect(errors.length).toBeGreaterThan(0);
    await eventually(async () => (await locks()).length === 0, 20_000, 'the server to expire the lock');
  }, 30_000);

  it('a stopped worker leaves nothing running: its process exits on its own', async () => {
    await call(fx.willow.api.POST('/v1/queues', { body: { Name: 'exits' } }));
    const items = Array.from({ length: 8 }, (_, i) => ({ KeyValues: { ch: String(i) }, Data: i, Timeout: '3s' }));
    await call(fx.willow.api.POST('/v1/queues/{Name}/items/batch', { params: { path: { Name: 'exits' } }, body: { Items: items } }));
    const script = join(__dirname, 'fixtures', 'stop-exits.cjs');
    const { stdout } = await run(process.execPath, [script, 'exits'], { env: { ...process.env, WILLOW_URL: fx.server.url }, timeout: 30_000 });
    expect(JSON.parse(stdout).handled).toBeGreaterThanOrEqual(6);
  }, 40_000);
});
