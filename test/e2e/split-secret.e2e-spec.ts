import { freePort, startServer, type ChildServer } from '../support/child-server';
import { natsReachableSync, uniqueNatsUrl } from '../support/nats';

jest.setTimeout(90_000);

const SECRET = 'the-deployment-transport-secret';
const nats = natsReachableSync();
if (!nats && process.env.CI === 'true') throw new Error('NATS is required in CI on 127.0.0.1:4222 for the transport-secret e2e over NATS');
if (!nats) console.warn('⚠ transport-secret e2e over NATS SKIPPED: no NATS server on 127.0.0.1:4222');
const transports = nats ? (['tcp', 'nats'] as const) : (['tcp'] as const);

async function readiness(server: ChildServer): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/health/ready`);
  return { status: res.status, body: await res.json() };
}

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** WILLOW_TRANSPORT_SECRET: a limiter process serves only the queue processes that send its secret. */
describe.each(transports)('transport secret over %s', (transport) => {
  const servers: ChildServer[] = [];
  let limiter: ChildServer;
  let limiterUrl: string;
  const started = async (env: Record<string, string>) => {
    const server = await startServer({ WILLOW_LOG_LEVEL: 'info', WILLOW_DATA_DIR: ':memory:', ...env });
    servers.push(server);
    return server;
  };
  const queue = (env: Record<string, string>) => started({ WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: limiterUrl, WILLOW_RETRY_MAX_MS: '200', ...env });

  beforeAll(async () => {
    limiterUrl = transport === 'nats' ? uniqueNatsUrl() : `tcp://127.0.0.1:${await freePort()}`;
    limiter = await started({ WILLOW_MODULES: 'limiter', WILLOW_TRANSPORT_LISTEN: limiterUrl, WILLOW_TRANSPORT_SECRET: SECRET });
  });
  afterAll(async () => {
    for (const server of servers) await server.kill9();
  });

  it('serves a process that sends the secret', async () => {
    const good = await queue({ WILLOW_TRANSPORT_SECRET: SECRET });
    expect((await readiness(good)).status).toBe(200);
    expect((await fetch(`${good.url}/v1/queues`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Name":"q"}' })).status).toBe(201);
    await fetch(`${good.url}/v1/queues/q/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"KeyValues":{"a":1},"Data":1}' });
    const dequeued = await fetch(`${good.url}/v1/queues/q/items/dequeue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Wait":0}' });
    expect(dequeued.status).toBe(200);
  });

  it.each([
    ['a wrong secret', { WILLOW_TRANSPORT_SECRET: 'not-the-deployment-secret' }, 'wrong'],
    ['no secret', {}, 'missing'],
  ])('refuses a process with %s, and logs each refusal', async (_label, env, why) => {
    // It starts (start-up order never matters) but is never ready: the limiter refuses its every message.
    const bad = await startServer({ WILLOW_LOG_LEVEL: 'info', WILLOW_DATA_DIR: ':memory:', WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: limiterUrl, ...env }, 20_000, '/health/live');
    servers.push(bad);
    const ready = await eventually(() => readiness(bad), (r) => r.status === 503);
    expect(ready).toMatchObject({ status: 503, body: { Details: { limiter: { status: 'down' } } } });
    await fetch(`${bad.url}/v1/queues`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Name":"q"}' });
    await fetch(`${bad.url}/v1/queues/q/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"KeyValues":{"a":1},"Data":1}' });
    const refused = await fetch(`${bad.url}/v1/queues/q/items/dequeue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Wait":0}' });
    const body = (await refused.json()) as { Code: string; Message: string };
    expect({ status: refused.status, code: body.Code }).toEqual({ status: 503, code: 'DEPENDENCY_UNAVAILABLE' });
    expect(body.Message).toMatch(/WILLOW_TRANSPORT_SECRET differs/);
    const refusals = limiter.output().split('\n').filter((l) => l.includes('rpc refused'));
    expect(refusals.map((l) => JSON.parse(l))).toEqual(expect.arrayContaining([expect.objectContaining({ secret: why, level: 40 })]));
    expect(limiter.output()).not.toContain(SECRET);
  });
});
