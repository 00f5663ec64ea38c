import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, freePort, startServer, type ChildServer } from '../support/child-server';
import { sleep } from '../support/queue-client';
import { natsReachableSync, uniqueNatsUrl } from '../support/nats';

jest.setTimeout(90_000);

type KeyValues = Record<string, string | number | boolean>;

const nats = natsReachableSync();
if (!nats && process.env.CI === 'true') throw new Error('NATS is required in CI on 127.0.0.1:4222 for the split e2e over NATS');
if (!nats) console.warn('⚠ split e2e over NATS SKIPPED: no NATS server on 127.0.0.1:4222');
const transports = nats ? (['tcp', 'nats'] as const) : (['tcp'] as const);

/**
 * Three real processes (dist/main.js): a limiter and a locker serving their ports over TCP or NATS, and a queue
 * reaching both. The queue's CI story runs through them; then the limiter process is killed and restarted mid-run.
 */
describe.each(transports)('split deployment: queue, limiter and locker in three processes over %s', (transport) => {
  const dirs: string[] = [];
  const servers: ChildServer[] = [];
  let limiterEnv: Record<string, string>;
  let limiter: ChildServer;
  let locker: ChildServer;
  let queue: ChildServer;
  let lockerUrl: string;

  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'willow-split-'));
    dirs.push(dir);
    return dir;
  };
  const started = async (env: Record<string, string>) => {
    // Every process shares the deployment's transport secret; every RPC message carries it.
    const server = await startServer({ WILLOW_LOG_LEVEL: 'info', WILLOW_SYNC: 'normal', WILLOW_TRANSPORT_SECRET: 'split-e2e-transport-secret', ...env });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    const natsUrl = uniqueNatsUrl();
    const limiterUrl = transport === 'nats' ? natsUrl : `tcp://127.0.0.1:${await freePort()}`;
    lockerUrl = transport === 'nats' ? natsUrl : `tcp://127.0.0.1:${await freePort()}`;
    limiterEnv = { WILLOW_MODULES: 'limiter', WILLOW_DATA_DIR: dataDir(), WILLOW_TRANSPORT_LISTEN: limiterUrl };
    locker = await started({ WILLOW_MODULES: 'locker', WILLOW_DATA_DIR: dataDir(), WILLOW_TRANSPORT_LISTEN: lockerUrl });
    // The queue starts before its limiter: it must wait for it (not crash) and become ready once it answers.
    const queueStarting = started({
      WILLOW_MODULES: 'willow',
      WILLOW_DATA_DIR: dataDir(),
      WILLOW_LIMITER_URL: limiterUrl,
      WILLOW_LOCKER_URL: lockerUrl,
      // Reconnects and reconciliation retry at most every 200 ms (2 s by default): recovery is tested, not its pace.
      WILLOW_RETRY_MAX_MS: '200',
    });
    await sleep(1_000);
    limiter = await started(limiterEnv);
    queue = await queueStarting;
  });

  afterAll(async () => {
    for (const server of servers) if (server.process.exitCode === null) await server.kill9();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const q = (method: string, path: string, body?: unknown) => call(queue.url, method, path, body);
  const build = (repo: string, branch: string, extra: KeyValues = {}) => ({ repo_name: repo, branch_name: branch, ...extra });

  it('serves each module only where it runs: the queue process has no limiter or locker routes', async () => {
    expect((await q('GET', '/v1/limiter/rules')).status).toBe(404);
    expect((await q('GET', '/v1/locks')).status).toBe(404);
    expect((await call(limiter.url, 'GET', '/v1/queues')).status).toBe(404);
    expect((await call(locker.url, 'GET', '/v1/locks')).status).toBe(200);
    const ready = await q('GET', '/health/ready');
    expect(ready.body.details).toMatchObject({ limiter: { status: 'up' }, locker: { status: 'up' } });
  });

  it('runs the CI story through the remote limiter: collapse, per-branch limit, override, wake-up on ack', async () => {
    const rule = (Name: string, GroupBy: string[], Limit: number) => call(limiter.url, 'POST', '/v1/limiter/rules', { Name, GroupBy, Limit });
    expect((await rule('limit_cicd_branch_builds', ['repo_name', 'branch_name'], 1)).status).toBe(201);
    const override = { Name: 'willow_main', KeyValues: build('willow', 'main'), Limit: 9001 };
    expect((await call(limiter.url, 'POST', '/v1/limiter/rules/limit_cicd_branch_builds/overrides', override)).status).toBe(201);
    expect((await q('POST', '/v1/queues', { Name: 'ci' })).status).toBe(201);

    const first = await q('POST', '/v1/queues/ci/items', { KeyValues: build('willow', 'feature/a'), Data: 'c1' });
    expect((await q('POST', '/v1/queues/ci/items', { KeyValues: build('willow', 'feature/a'), Data: 'c2' })).body).toEqual({ ID: first.body.ID, Collapsed: true });
    const a1 = await q('POST', '/v1/queues/ci/items/dequeue', { Wait: 0 });
    expect(a1.body).toMatchObject({ ID: first.body.ID, Data: 'c2' });
    await q('POST', '/v1/queues/ci/items', { KeyValues: build('willow', 'feature/a'), Data: 'a2' });
    expect((await q('POST', '/v1/queues/ci/items/dequeue', { Wait: 0 })).status).toBe(204);
    const channels = await q('GET', '/v1/queues/ci/channels');
    expect(channels.body[0]).toMatchObject({ Waiting: 1, Processing: 1, BlockedBy: { Rule: 'limit_cicd_branch_builds', Limit: 1, Count: 1 } });

    for (let i = 0; i < 3; i++) await q('POST', '/v1/queues/ci/items', { KeyValues: build('willow', 'main'), Data: i, Updateable: false });
    const mains = await Promise.all([0, 1, 2].map(() => q('POST', '/v1/queues/ci/items/dequeue', { Wait: 0, Query: { Where: { branch_name: 'main' } } })));
    expect(mains.map((r) => r.status)).toEqual([200, 200, 200]);

    // Nothing but the limiter's capacity event, across the transport, wakes this waiter: without it, 204 after 10 s.
    const next = q('POST', '/v1/queues/ci/items/dequeue', { Wait: '10s', Query: { Where: { branch_name: 'feature/a' } } });
    await sleep(100);
    expect((await q('POST', `/v1/queues/ci/items/${a1.body.ID}/ack`, { Passed: true })).status).toBe(200);
    const a2 = await next;
    expect(a2).toMatchObject({ status: 200, body: { Data: 'a2' } });
    const counters = await call(limiter.url, 'GET', '/v1/limiter/counters');
    expect(counters.body).toEqual(
      expect.arrayContaining([
        { KeyValues: { ...build('willow', 'feature/a'), _willow_queue: 'ci' }, Counters: 1 },
        { KeyValues: { ...build('willow', 'main'), _willow_queue: 'ci' }, Counters: 3 },
      ]),
    );
  });

  it('carries the request id into the limiter process and logs it in both', async () => {
    await q('POST', '/v1/queues', { Name: 'rid' });
    await q('POST', '/v1/queues/rid/items', { KeyValues: { job: 'x' }, Data: 1 });
    const res = await fetch(`${queue.url}/v1/queues/rid/items/dequeue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'split-e2e-rid-1' },
      body: JSON.stringify({ Wait: 0 }),
    });
    expect(res.status).toBe(200);
    const logLines = (server: ChildServer) =>
      server.output().split('\n').filter((l) => l.includes('split-e2e-rid-1')).map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(async () => logLines(queue).length > 0 && logLines(limiter).length > 0, (logged) => logged);
    expect(logLines(queue)).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'request completed' })]));
    expect(logLines(limiter)).toEqual(
      expect.arrayContaining([expect.objectContaining({ requestId: 'split-e2e-rid-1', pattern: 'limiter.tryIncrementMany', msg: 'rpc handled' })]),
    );
  });

  it('carries the request id into the limiter process when the queue process writes no request lines (warn)', async () => {
    // Above info, a request's logger is bound by Willow itself rather than pino-http: the id must still travel.
    const quiet = await started({
      WILLOW_LOG_LEVEL: 'warn',
      WILLOW_MODULES: 'willow',
      WILLOW_DATA_DIR: dataDir(),
      WILLOW_LIMITER_URL: limiterEnv.WILLOW_TRANSPORT_LISTEN,
      WILLOW_LOCKER_URL: lockerUrl,
    });
    try {
      expect((await call(quiet.url, 'POST', '/v1/queues', { Name: 'quiet' })).status).toBe(201);
      expect((await call(quiet.url, 'POST', '/v1/queues/quiet/items', { KeyValues: { job: 'q' }, Data: 1 })).status).toBe(201);
      const res = await fetch(`${quiet.url}/v1/queues/quiet/items/dequeue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'split-e2e-quiet-1' },
        body: JSON.stringify({ Wait: 0 }),
      });
      expect(res.status).toBe(200);
      const lines = () => limiter.output().split('\n').filter((l) => l.includes('split-e2e-quiet-1')).map((l) => JSON.parse(l) as Record<string, unknown>);
      await waitFor(async () => lines().length > 0, (logged) => logged);
      expect(lines()).toEqual(expect.arrayContaining([expect.objectContaining({ requestId: 'split-e2e-quiet-1', pattern: 'limiter.tryIncrementMany', msg: 'rpc handled' })]));
      expect(quiet.output()).not.toContain('request completed');
    } finally {
      await quiet.kill9();
    }
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE while the limiter process is down, and recovers on its own when it is back', async () => {
    await q('POST', '/v1/queues/ci/items', { KeyValues: build('willow', 'feature/b'), Data: 'b1' });
    const b1 = await q('POST', '/v1/queues/ci/items/dequeue', { Wait: 0, Query: { Where: { branch_name: 'feature/b' } } });
    await q('POST', '/v1/queues/ci/items', { KeyValues: build('willow', 'feature/b'), Data: 'b2' });
    await limiter.kill9();

    const notReady = await waitFor(() => q('GET', '/health/ready'), (r) => r.status === 503);
    expect(notReady.body).toMatchObject({ Code: 'DEPENDENCY_UNAVAILABLE', Details: { limiter: { status: 'down' } } });
    const askedAt = Date.now();
    const refused = await q('POST', '/v1/queues/ci/items/dequeue', { Wait: 0, Query: { Where: { branch_name: 'feature/b' } } });
    expect(refused).toMatchObject({ status: 503, body: { Code: 'DEPENDENCY_UNAVAILABLE', Dependency: 'limiter' } });
    expect(Date.now() - askedAt).toBeLessThan(6_000);
    // The ack is the queue's own; its counter decrement is lost with the limiter and reconciled once it is back.
    expect((await q('POST', `/v1/queues/ci/items/${b1.body.ID}/ack`, { Passed: true })).status).toBe(200);

    limiter = await started(limiterEnv);
    await waitFor(() => q('GET', '/health/ready'), (r) => r.status === 200);
    const b2 = await q('POST', '/v1/queues/ci/items/dequeue', { Wait: '10s', Query: { Where: { branch_name: 'feature/b' } } });
    expect(b2).toMatchObject({ status: 200, body: { Data: 'b2' } });
    const counters = await call(limiter.url, 'GET', '/v1/limiter/counters');
    expect(counters.body).toEqual(expect.arrayContaining([{ KeyValues: { ...build('willow', 'feature/b'), _willow_queue: 'ci' }, Counters: 1 }]));
  });

  it('stops every process on SIGTERM within 10 s, with event polls and transport connections open', async () => {
    const stopping = [queue, limiter, locker].map(async (server) => {
      const started = Date.now();
      const code = await server.stop();
      return { code, ms: Date.now() - started };
    });
    for (const { code, ms } of await Promise.all(stopping)) {
      expect([0, null]).toContain(code); // null: Nest re-raises SIGTERM after a clean close
      expect(ms).toBeLessThan(10_000);
    }
  });
});

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}
