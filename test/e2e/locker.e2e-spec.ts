import { FakeScheduler } from '../../src/common/fake-scheduler';
import { createTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

describe('Locker over HTTP', () => {
  let sut: TestApp;
  /** The app's clock and timers: leases run out only when a test advances it. */
  let time: FakeScheduler;
  beforeEach(async () => {
    time = new FakeScheduler();
    sut = await createTestApp({}, { time });
  });
  afterEach(() => sut.close());

  const acquire = (body: object) => sut.http().post('/v1/locks').send(body);
  /** supertest sends lazily; this starts the request now and keeps the response for later. */
  const startAcquire = (body: object) => acquire(body).then((res) => res);

  it('grants a free lock with a session, a fencing token and an expiry', async () => {
    const res = await acquire({ KeyValues: { repo: 'willow' }, Timeout: '10s' }).expect(201);
    expect(res.body).toEqual({
      LockID: expect.any(String),
      SessionID: expect.any(String),
      FencingToken: expect.any(Number),
      KeyValues: { repo: 'willow' },
      Timeout: 10_000,
      ExpiresAt: expect.any(String),
    });
    expect(Date.parse(res.body.ExpiresAt) - time.clock.now()).toBe(10_000);
  });

  it('grants exactly one of two concurrent acquires; the other is granted after the release', async () => {
    const first = await acquire({ KeyValues: { a: 1 }, Wait: 0 }).expect(201);
    const second = startAcquire({ KeyValues: { a: 1 }, Wait: '10s' });
    await waitUntil(async () => (await listWaiters()) === 1);
    const third = await acquire({ KeyValues: { a: 1 }, Wait: 0 });
    expect(third.status).toBe(409);
    expect(third.body.Code).toBe('LOCK_HELD');
    await sut.http().delete(`/v1/locks/${first.body.LockID}`).send({ SessionID: first.body.SessionID }).expect(204);
    const granted = await second;
    expect(granted.status).toBe(201);
    expect(granted.body.LockID).toBe(first.body.LockID);
    expect(granted.body.FencingToken).toBeGreaterThan(first.body.FencingToken);
  });

  it('treats tag sets with the same keys and values in another order as one lock', async () => {
    await acquire({ KeyValues: { a: 1, b: 'x' } }).expect(201);
    const res = await acquire({ KeyValues: { b: 'x', a: 1 }, Wait: 0 });
    expect(res.status).toBe(409);
  });

  it('keeps typed values apart: "1" and 1 are different locks', async () => {
    await acquire({ KeyValues: { a: 1 } }).expect(201);
    await acquire({ KeyValues: { a: '1' }, Wait: 0 }).expect(201);
  });

  it('grants 20 waiters strictly in arrival order', async () => {
    const holder = await acquire({ KeyValues: { fifo: true } }).expect(201);
    const order: number[] = [];
    const waiters: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      waiters.push(
        acquire({ KeyValues: { fifo: true }, Wait: '30s', Timeout: '30s' }).then(async (res) => {
          expect(res.status).toBe(201);
          order.push(i);
          await sut.http().delete(`/v1/locks/${res.body.LockID}`).send({ SessionID: res.body.SessionID }).expect(204);
        }),
      );
      // Each waiter must be queued before the next arrives, so arrival order is defined.
      await waitUntil(async () => (await listWaiters()) === i + 1);
    }
    await sut.http().delete(`/v1/locks/${holder.body.LockID}`).send({ SessionID: holder.body.SessionID }).expect(204);
    await Promise.all(waiters);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  async function listWaiters(): Promise<number> {
    const res = await sut.http().get('/v1/locks').expect(200);
    return res.body[0]?.Waiters ?? 0;
  }

  it('extends ExpiresAt on heartbeat', async () => {
    const grant = await acquire({ KeyValues: { hb: 1 }, Timeout: '5s' }).expect(201);
    await time.advance(20);
    const res = await sut.http().post(`/v1/locks/${grant.body.LockID}/heartbeat`).send({ SessionID: grant.body.SessionID }).expect(200);
    expect(Date.parse(res.body.ExpiresAt)).toBeGreaterThan(Date.parse(grant.body.ExpiresAt));
  });

  it('releases at Timeout without heartbeats, grants the next waiter, and refuses the old session', async () => {
    const old = await acquire({ KeyValues: { lease: 1 }, Timeout: '200ms' }).expect(201);
    const waiting = startAcquire({ KeyValues: { lease: 1 }, Wait: '10s', Timeout: '10s' });
    await waitUntil(async () => (await listWaiters()) === 1);
    await time.advance(199);
    expect(await listWaiters()).toBe(1);
    await time.advance(1); // the lease runs out: its expiry hands the lock on
    const next = await waiting;
    expect(next.status).toBe(201);
    expect(next.body.FencingToken).toBeGreaterThan(old.body.FencingToken);
    const hb = await sut.http().post(`/v1/locks/${old.body.LockID}/heartbeat`).send({ SessionID: old.body.SessionID });
    expect(hb.status).toBe(409);
    expect(hb.body.Code).toBe('SESSION_INVALID');
    const rel = await sut.http().delete(`/v1/locks/${old.body.LockID}`).send({ SessionID: old.body.SessionID });
    expect(rel.status).toBe(409);
    expect(rel.body.Code).toBe('SESSION_INVALID');
  });

  it('answers SESSION_INVALID to a holder whose lease ran out even when nobody took the lock', async () => {
    const old = await acquire({ KeyValues: { lapse: 1 }, Timeout: '100ms' }).expect(201);
    await time.advance(100);
    const hb = await sut.http().post(`/v1/locks/${old.body.LockID}/heartbeat`).send({ SessionID: old.body.SessionID });
    expect(hb.status).toBe(409);
    expect(hb.body.Code).toBe('SESSION_INVALID');
    expect((await sut.http().get('/v1/locks')).body).toEqual([]);
  });

  it('answers 404 LOCK_NOT_FOUND for an unknown LockID and 409 for a wrong session', async () => {
    const unknown = await sut.http().post('/v1/locks/nope/heartbeat').send({ SessionID: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.Code).toBe('LOCK_NOT_FOUND');
    const grant = await acquire({ KeyValues: { s: 1 } }).expect(201);
    const wrong = await sut.http().delete(`/v1/locks/${grant.body.LockID}`).send({ SessionID: 'someone-else' });
    expect(wrong.status).toBe(409);
    expect(wrong.body.Code).toBe('SESSION_INVALID');
  });

  it('releases with ?SessionID= as well as a body', async () => {
    const grant = await acquire({ KeyValues: { q: 1 } }).expect(201);
    await sut.http().delete(`/v1/locks/${grant.body.LockID}?SessionID=${grant.body.SessionID}`).expect(204);
    await acquire({ KeyValues: { q: 1 }, Wait: 0 }).expect(201);
  });

  it('never shows a SessionID in listings, sorted by canonical tags, with query and pagination', async () => {
    await acquire({ KeyValues: { os: 'linux', n: 2 } }).expect(201);
    await acquire({ KeyValues: { os: 'mac', n: 1 } }).expect(201);
    await acquire({ KeyValues: { os: 'linux', n: 1 } }).expect(201);
    const all = await sut.http().get('/v1/locks').expect(200);
    expect(all.body).toHaveLength(3);
    expect(JSON.stringify(all.body)).not.toContain('Session');
    expect(all.body.map((l: { KeyValues: object }) => l.KeyValues)).toEqual([
      { os: 'linux', n: 1 },
      { os: 'mac', n: 1 },
      { os: 'linux', n: 2 },
    ]);
    const linux = await sut.http().post('/v1/locks/query').send({ Where: { os: 'linux' } }).expect(200);
    expect(linux.body).toHaveLength(2);
    const page1 = await sut.http().get('/v1/locks?Limit=2').expect(200);
    expect(page1.body).toHaveLength(2);
    const cursor = page1.headers['willow-next-cursor'];
    expect(cursor).toEqual(expect.any(String));
    const page2 = await sut.http().get(`/v1/locks?Limit=2&Cursor=${cursor}`).expect(200);
    expect(page2.body.map((l: { KeyValues: object }) => l.KeyValues)).toEqual([{ os: 'linux', n: 2 }]);
    expect(page2.headers['willow-next-cursor']).toBeUndefined();
  });

  it('never grants a waiter whose client disconnected; the next waiter gets the lock', async () => {
    const holder = await acquire({ KeyValues: { dc: 1 } }).expect(201);
    const controller = new AbortController();
    const gone = fetch(`${sut.url}/v1/locks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ KeyValues: { dc: 1 }, Wait: '30s' }),
      signal: controller.signal,
    }).catch(() => 'aborted');
    await waitUntil(async () => (await listWaiters()) === 1);
    controller.abort();
    expect(await gone).toBe('aborted');
    await waitUntil(async () => (await listWaiters()) === 0);
    const next = startAcquire({ KeyValues: { dc: 1 }, Wait: '10s' });
    await waitUntil(async () => (await listWaiters()) === 1);
    await sut.http().delete(`/v1/locks/${holder.body.LockID}`).send({ SessionID: holder.body.SessionID }).expect(204);
    const granted = await next;
    expect(granted.status).toBe(201);
    expect(granted.body.FencingToken).toBe(holder.body.FencingToken + 1);
  });
});
