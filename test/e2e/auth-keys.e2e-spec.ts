import { FakeScheduler } from '../../src/common/fake-scheduler';
import { createTestApp, type TestApp } from '../support/test-app';

const ADMIN_KEY = 'test-admin-key-0123456789-abcdefghij';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('access control: API keys', () => {
  let app: TestApp;
  const admin = () => ({
    get: (path: string) => app.http().get(path).set(bearer(ADMIN_KEY)),
    post: (path: string, body: unknown) => app.http().post(path).set(bearer(ADMIN_KEY)).send(body as object),
    delete: (path: string) => app.http().delete(path).set(bearer(ADMIN_KEY)),
  });
  const createKey = async (body: object): Promise<string> => {
    const res = await admin().post('/v1/auth/keys', body);
    expect(res.status).toBe(201);
    return res.body.Key as string;
  };

  beforeAll(async () => {
    app = await createTestApp({ WILLOW_ADMIN_KEY: ADMIN_KEY, WILLOW_RATE_LIMIT: '100000' });
    for (const Name of ['ci-linux', 'ci-mac', 'deploy']) expect((await admin().post('/v1/queues', { Name })).status).toBe(201);
  });
  afterAll(() => app?.close());

  it('shows a new key once, lists keys without it, and revokes it at once', async () => {
    const created = await admin().post('/v1/auth/keys', { Name: 'runner', Scopes: ['queues:consume'], Queues: ['ci-*'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ Name: 'runner', Scopes: ['queues:consume'], Queues: ['ci-*'], CreatedAt: expect.any(String), Key: expect.stringMatching(/^wk_[A-Za-z0-9_-]{43}$/) });
    const key = created.body.Key as string;
    const listed = await admin().get('/v1/auth/keys');
    expect(listed.status).toBe(200);
    expect(listed.body).toContainEqual({ Name: 'runner', Scopes: ['queues:consume'], Queues: ['ci-*'], CreatedAt: created.body.CreatedAt });
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((await app.http().get('/v1/queues/ci-linux/items/it_x').set(bearer(key))).status).toBe(404);
    expect((await admin().delete('/v1/auth/keys/runner')).status).toBe(204);
    const revoked = await app.http().get('/v1/queues/ci-linux/items/it_x').set(bearer(key));
    expect(revoked).toMatchObject({ status: 401, body: { Code: 'UNAUTHENTICATED' } });
    expect(revoked.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await admin().delete('/v1/auth/keys/runner')).body).toMatchObject({ Code: 'KEY_NOT_FOUND' });
  });

  it('refuses a duplicate name, the bootstrap name, an unknown scope and admin narrowed to queues', async () => {
    await createKey({ Name: 'dup', Scopes: ['locks'] });
    expect((await admin().post('/v1/auth/keys', { Name: 'dup', Scopes: ['locks'] })).body).toMatchObject({ Code: 'ALREADY_EXISTS' });
    expect((await admin().post('/v1/auth/keys', { Name: 'WILLOW_ADMIN_KEY', Scopes: ['locks'] })).body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Name' });
    expect((await admin().post('/v1/auth/keys', { Name: 'x', Scopes: ['root'] })).body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Scopes[0]' });
    expect((await admin().post('/v1/auth/keys', { Name: 'x', Scopes: ['admin'], Queues: ['a*'] })).body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Queues' });
  });

  it('refuses a request without a key before reading its body: 401, not 400 or 413', async () => {
    const malformed = await app.http().post('/v1/queues').set('Content-Type', 'application/json').send('{"Name": ');
    expect(malformed).toMatchObject({ status: 401, body: { Code: 'UNAUTHENTICATED' } });
    const huge = await app.http().post('/v1/queues').set('Content-Type', 'application/json').send(`{"Name": "${'x'.repeat(20 * 1_048_576)}"}`);
    expect(huge).toMatchObject({ status: 401, body: { Code: 'UNAUTHENTICATED' } });
    const withKey = await app.http().post('/v1/queues').set(bearer(ADMIN_KEY)).set('Content-Type', 'application/json').send('{"Name": ');
    expect(withKey).toMatchObject({ status: 400, body: { Code: 'INVALID_JSON' } });
  });

  it('refuses an unknown key and a malformed header with 401', async () => {
    for (const header of ['Bearer wk_not-a-key', 'Basic dXNlcjpwYXNz', `Bearer ${ADMIN_KEY}x`]) {
      const res = await app.http().get('/v1/queues').set('Authorization', header);
      expect({ header, status: res.status, code: res.body.Code }).toEqual({ header, status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('narrows queue scopes to the key\'s patterns, naming the queue, and lists only the queues it may see', async () => {
    const key = await createKey({ Name: 'ci-producer', Scopes: ['queues:produce', 'queues:read', 'queues:admin'], Queues: ['ci-*'] });
    const item = { KeyValues: { os: 'linux' }, Data: 1 };
    expect((await app.http().post('/v1/queues/ci-linux/items').set(bearer(key)).send(item)).status).toBe(201);
    const refused = await app.http().post('/v1/queues/deploy/items').set(bearer(key)).send(item);
    expect(refused).toMatchObject({ status: 403, body: { Code: 'FORBIDDEN', Scope: 'queues:produce', Queue: 'deploy' } });
    expect(refused.body.Message).toMatch(/not on queue "deploy"/);
    const listing = await app.http().get('/v1/queues').set(bearer(key));
    expect(listing.body.map((q: { Name: string }) => q.Name)).toEqual(['ci-linux', 'ci-mac']);
    expect((await admin().get('/v1/queues')).body.map((q: { Name: string }) => q.Name)).toEqual(['ci-linux', 'ci-mac', 'deploy']);
    expect((await app.http().post('/v1/queues').set(bearer(key)).send({ Name: 'prod' })).body).toMatchObject({ Code: 'FORBIDDEN', Queue: 'prod' });
    expect((await app.http().post('/v1/queues').set(bearer(key)).send({ Name: 'ci-new' })).status).toBe(201);
  });

  it('keeps reserved counters (_willow_queue) to limiter:admin: increments refuse them for everyone, counters/set needs limiter:admin', async () => {
    const counters = await createKey({ Name: 'counters', Scopes: ['limiter:counters'] });
    const reserved = { KeyValues: { _willow_queue: 'ci-linux' } };
    expect((await app.http().post('/v1/limiter/counters').set(bearer(counters)).send(reserved)).body).toMatchObject({ Code: 'INVALID_INPUT' });
    expect((await app.http().delete('/v1/limiter/counters').set(bearer(counters)).send(reserved)).body).toMatchObject({ Code: 'INVALID_INPUT' });
    const set = await app.http().put('/v1/limiter/counters/set').set(bearer(counters)).send({ ...reserved, Counters: 0 });
    expect(set.body).toMatchObject({ Code: 'FORBIDDEN', Scope: 'limiter:admin' });
    expect((await app.http().post('/v1/limiter/counters').set(bearer(counters)).send({ KeyValues: { repo: 'w' } })).status).toBe(200);
  });
});

describe('access control: abuse limits and CORS', () => {
  let app: TestApp;
  /** The app's clock: frozen, so the bucket cannot refill between requests however slow the machine is. */
  let time: FakeScheduler;
  beforeAll(async () => {
    time = new FakeScheduler();
    app = await createTestApp({ WILLOW_ADMIN_KEY: ADMIN_KEY, WILLOW_RATE_LIMIT: '5' }, { time });
  });
  afterAll(() => app?.close());

  it('answers 429 RATE_LIMITED with Retry-After past the request rate of a key, and serves it again a second later', async () => {
    const statuses: number[] = [];
    let limited: { headers: Record<string, string>; body: { Code: string; Message: string } } | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await app.http().get('/v1/limiter/rules').set(bearer(ADMIN_KEY));
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(limited!.body.Code).toBe('RATE_LIMITED');
    expect(limited!.body.Message).toMatch(/WILLOW_RATE_LIMIT/);
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await time.advance(1_000);
    expect((await app.http().get('/v1/limiter/rules').set(bearer(ADMIN_KEY))).status).toBe(200);
  });
});

describe('access control: concurrent waiters', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ WILLOW_ADMIN_KEY: ADMIN_KEY, WILLOW_MAX_WAITERS: '1' });
    await app.http().post('/v1/queues').set(bearer(ADMIN_KEY)).send({ Name: 'q' });
  });
  afterAll(() => app?.close());

  it('answers 429 to a second long-poll of a key past WILLOW_MAX_WAITERS, and frees the place when the first ends', async () => {
    const first = app.http().post('/v1/queues/q/items/dequeue').set(bearer(ADMIN_KEY)).send({ Wait: '1s' }).then((r) => r);
    await new Promise((r) => setTimeout(r, 200));
    const second = await app.http().post('/v1/queues/q/items/dequeue').set(bearer(ADMIN_KEY)).send({ Wait: '1s' });
    expect(second).toMatchObject({ status: 429, body: { Code: 'RATE_LIMITED' } });
    expect(second.headers['retry-after']).toBe('1');
    expect((await app.http().post('/v1/queues/q/items/dequeue').set(bearer(ADMIN_KEY)).send({ Wait: 0 })).status).toBe(204);
    expect((await first).status).toBe(204);
    expect((await app.http().post('/v1/queues/q/items/dequeue').set(bearer(ADMIN_KEY)).send({ Wait: '10ms' })).status).toBe(204);
  });
});

describe('access control: protected mode and WILLOW_AUTH=off on loopback', () => {
  it.each([[{}], [{ WILLOW_AUTH: 'off' }]])('answers a loopback client without a key (%j), unlimited by the request rate', async (env) => {
    const app = await createTestApp({ ...env, WILLOW_RATE_LIMIT: '2' });
    try {
      const statuses = await Promise.all(Array.from({ length: 10 }, () => app.http().get('/v1/queues').then((r) => r.status)));
      expect(statuses).toEqual(Array(10).fill(200));
    } finally {
      await app.close();
    }
  });

  it('counts a request forwarded by a proxy on loopback as a remote client', async () => {
    const app = await createTestApp({});
    try {
      const res = await app.http().get('/v1/queues').set('X-Forwarded-For', '203.0.113.7');
      expect(res).toMatchObject({ status: 401, body: { Code: 'UNAUTHENTICATED' } });
      expect(res.body.Message).toMatch(/WILLOW_ADMIN_KEY is unset/);
    } finally {
      await app.close();
    }
  });
});

describe('access control: CORS', () => {
  it('sends no CORS headers unless WILLOW_CORS_ORIGINS lists the origin', async () => {
    const closed = await createTestApp({});
    const open = await createTestApp({ WILLOW_CORS_ORIGINS: 'https://ci.example.com' });
    try {
      const preflight = (app: TestApp, origin: string) =>
        app.http().options('/v1/queues').set('Origin', origin).set('Access-Control-Request-Method', 'GET').set('Access-Control-Request-Headers', 'authorization');
      expect((await preflight(closed, 'https://ci.example.com')).headers['access-control-allow-origin']).toBeUndefined();
      expect((await closed.http().get('/v1/queues').set('Origin', 'https://ci.example.com')).headers['access-control-allow-origin']).toBeUndefined();
      const allowed = await preflight(open, 'https://ci.example.com');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://ci.example.com');
      expect(allowed.headers['access-control-allow-headers']).toMatch(/Authorization/i);
      expect((await preflight(open, 'https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
