import { FakeScheduler } from '../../src/common/fake-scheduler';
import { describePostgres, dropSchema, freshSchemaName } from '../conformance/support/postgres-fixture';
import { parked, QueueClient, sleep, waitUntil } from '../support/queue-client';
import { storeCases } from '../support/stores';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(60_000);

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * DESIGN §7.8 over HTTP on both stores: delayed items, retry backoff and priority. Time is fake (`time`): a delayed
 * item is handed out when the server's clock reaches its due time, by the due timer, not before; and a waiting
 * dequeue is served by that timer, not by polling.
 */
describe.each(storeCases())('delays, retry backoff and priority over HTTP ($name store)', (store) => {
  let sut: TestApp;
  let q: QueueClient;
  let time: FakeScheduler;
  beforeEach(async () => {
    time = new FakeScheduler();
    sut = await store.start({}, { time });
    q = new QueueClient(sut, 'builds');
    await q.create().expect(201);
  });
  afterEach(() => sut.close());

  const inspect = (id: string) => sut.http().get(`/v1/queues/builds/items/${id}`);
  const listing = (state: string) => sut.http().post(`/v1/queues/builds/items/query?State=${state}`).send({});
  const channels = () => sut.http().get('/v1/queues/builds/channels');

  describe('delayed items', () => {
    it('takes a place in line at once, shows as scheduled, and holds its channel until due; other channels go on', async () => {
      const now = time.clock.now();
      const late = (await q.enqueue({ KeyValues: { b: 'main' }, Data: 'late', Delay: '1h', Updateable: false }).expect(201)).body.ID;
      const behind = (await q.enqueue({ KeyValues: { b: 'main' }, Data: 'behind' }).expect(201)).body.ID;
      await q.enqueue({ KeyValues: { b: 'dev' }, Data: 'dev' }).expect(201);

      expect((await inspect(late).expect(200)).body).toMatchObject({ State: 'scheduled', NotBefore: iso(now + HOUR), Position: 0, Priority: 0 });
      expect((await inspect(behind).expect(200)).body).toMatchObject({ State: 'waiting', Position: 1 });
      expect((await inspect(behind).expect(200)).body.NotBefore).toBeUndefined();
      expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 3, Scheduled: 1, Channels: 2 });
      expect((await channels().expect(200)).body).toEqual([
        { KeyValues: { b: 'dev' }, Waiting: 1, Processing: 0, Scheduled: 0 },
        { KeyValues: { b: 'main' }, Waiting: 2, Processing: 0, Scheduled: 1, NextDueAt: iso(now + HOUR) },
      ]);
      expect((await listing('scheduled').expect(200)).body.map((i: { ID: string }) => i.ID)).toEqual([late]);
      expect((await listing('waiting').expect(200)).body.map((i: { Data?: unknown; State: string }) => i.State)).toEqual(['waiting', 'waiting']);

      expect((await q.dequeue({ Wait: 0 })).body.Data).toBe('dev');
      expect((await q.dequeue({ Wait: 0 })).status).toBe(204);
      await time.advance(HOUR - 1);
      expect((await q.dequeue({ Wait: 0 })).status).toBe(204);
      await time.advance(1);
      expect((await q.dequeue({ Wait: 0 })).body).toMatchObject({ ID: late, Data: 'late' });
      expect((await q.dequeue({ Wait: 0 })).body).toMatchObject({ ID: behind });
      expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 0, Scheduled: 0 });
    });

    it('serves a waiting dequeue when the due timer fires at the due time, not before, with one timer armed', async () => {
      const armedBefore = time.pending;
      const id = (await q.enqueue({ KeyValues: { b: 'main' }, Data: 1, NotBefore: iso(time.clock.now() + 10_000) }).expect(201)).body.ID;
      // The due timer, and nothing that polls. (On PostgreSQL it is armed once the channel is read in: at once on an
      // instance that serves the queue, otherwise when the queue is next dequeued from, listed or counted, as here.)
      await q.info().expect(200);
      await waitUntil(async () => time.pending === armedBefore + 1);
      expect(time.pending).toBe(armedBefore + 1);
      const waiting = await parked(time, () => q.dequeue({ Wait: '60s' }));
      let answered = false;
      void waiting.answer.then(() => (answered = true));
      await time.advance(9_999);
      expect(answered).toBe(false);
      await time.advance(1);
      expect((await waiting.answer).body).toMatchObject({ ID: id, Attempt: 1 });
    });

    it('keeps the due time and place through a collapse, and hands out an item whose NotBefore has passed at once', async () => {
      const now = time.clock.now();
      const id = (await q.enqueue({ KeyValues: { b: 'main' }, Data: 'v1', Delay: 5_000 }).expect(201)).body.ID;
      const collapsed = (await q.enqueue({ KeyValues: { b: 'main' }, Data: 'v2', Delay: '1h' }).expect(200)).body;
      expect(collapsed).toEqual({ ID: id, Collapsed: true });
      expect((await inspect(id).expect(200)).body).toMatchObject({ State: 'scheduled', NotBefore: iso(now + 5_000), Data: 'v2' });
      await q.enqueue({ KeyValues: { b: 'dev' }, Data: 'past', NotBefore: iso(now - 1_000) }).expect(201);
      expect((await q.dequeue({ Wait: 0 })).body.Data).toBe('past');
      await time.advance(5_000);
      expect((await q.dequeue({ Wait: 0 })).body).toMatchObject({ ID: id, Data: 'v2' });
    });

    it('takes Delay and NotBefore per item of a batch', async () => {
      const now = time.clock.now();
      const res = await q.enqueueBatch([
        { KeyValues: { n: 1 }, Data: 1, Delay: '2s' },
        { KeyValues: { n: 2 }, Data: 2, NotBefore: iso(now + 1_000) },
        { KeyValues: { n: 3 }, Data: 3 },
      ]).expect(200);
      const [a, b] = res.body.Results.map((r: { ID: string }) => r.ID);
      expect((await q.dequeue({ Wait: 0 })).body.Data).toBe(3);
      await time.advance(1_000);
      expect((await q.dequeue({ Wait: 0 })).body.ID).toBe(b);
      await time.advance(1_000);
      expect((await q.dequeue({ Wait: 0 })).body.ID).toBe(a);
    });

    it.each([
      [{ Delay: '31d' }, 'Delay'],
      [{ Delay: '1s', NotBefore: '2030-01-01T00:00:00Z' }, 'NotBefore'],
      [{ NotBefore: '2030-01-01 00:00' }, 'NotBefore'],
      [{ NotBefore: 'far-future' }, 'NotBefore'],
      [{ Priority: -101 }, 'Priority'],
      [{ RetryDelay: '2d' }, 'RetryDelay'],
      [{ RetryBackoff: 'random' }, 'RetryBackoff'],
    ])('refuses %j with 400 naming %s, and writes nothing', async (fields, path) => {
      const res = await q.enqueue({ KeyValues: { b: 'main' }, Data: 1, ...fields }).expect(400);
      expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: path });
      const batch = await q.enqueueBatch([{ KeyValues: { b: 'x' }, Data: 0 }, { KeyValues: { b: 'main' }, Data: 1, ...fields }]).expect(400);
      expect(batch.body).toMatchObject({ Path: `Items[1].${path}` });
      expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 0 });
    });

    it('refuses a NotBefore more than 30 days ahead of the server clock', async () => {
      const res = await q.enqueue({ KeyValues: { b: 'main' }, Data: 1, NotBefore: iso(time.clock.now() + 31 * 24 * HOUR) }).expect(400);
      expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'NotBefore', Message: expect.stringMatching(/at most 30d ahead/) });
    });
  });

  describe('retry backoff', () => {
    it('schedules a failed item RetryDelay × 2^(n−1) after each failure (exponential), with its LastError', async () => {
      const id = (await q.enqueue({ KeyValues: { b: 'main' }, Data: 1, RetryAttempts: 3, RetryDelay: '10s', RetryBackoff: 'exponential' }).expect(201)).body.ID;
      for (const [attempt, delay] of [[1, 10_000], [2, 20_000], [3, 40_000]]) {
        const got = (await q.dequeue({ Wait: 0 })).body;
        expect(got).toMatchObject({ ID: id, Attempt: attempt });
        await q.ack(id, { Passed: false, Attempt: attempt, Error: `failed ${attempt}` }).expect(200);
        const after = (await inspect(id).expect(200)).body;
        expect(after).toMatchObject({ State: 'scheduled', NotBefore: iso(time.clock.now() + delay), LastError: `failed ${attempt}` });
        expect((await q.dequeue({ Wait: 0 })).status).toBe(204);
        await time.advance(delay);
      }
      expect((await q.dequeue({ Wait: 0 })).body).toMatchObject({ ID: id, Attempt: 4 });
    });

    it('applies the backoff after a lease expiry too (fixed), with "lease expired"', async () => {
      const id = (await q.enqueue({ KeyValues: { b: 'main' }, Data: 1, RetryAttempts: 1, RetryDelay: '30s', Timeout: '1s' }).expect(201)).body.ID;
      expect((await q.dequeue({ Wait: 0 })).body.Attempt).toBe(1);
      await time.advance(1_000);
      // The lease sweep writes the expiry just after the timer fires (a PostgreSQL round trip).
      await waitUntil(async () => (await inspect(id)).body.State === 'scheduled');
      const after = (await inspect(id).expect(200)).body;
      expect(after).toMatchObject({ State: 'scheduled', LastError: 'lease expired' });
      expect(Date.parse(after.NotBefore)).toBeGreaterThanOrEqual(time.clock.now() + 29_000);
      await time.advance(30_000);
      expect((await q.dequeue({ Wait: 0 })).body).toMatchObject({ ID: id, Attempt: 2 });
    });
  });

  describe('priority', () => {
    it('hands out the highest priority first across channels, then the one that has waited longest', async () => {
      await q.enqueue({ KeyValues: { c: 'a' }, Data: 'a0' }).expect(201);
      await q.enqueue({ KeyValues: { c: 'b' }, Data: 'b-1', Priority: -1 }).expect(201);
      await q.enqueue({ KeyValues: { c: 'c' }, Data: 'c5', Priority: 5 }).expect(201);
      await q.enqueue({ KeyValues: { c: 'd' }, Data: 'd0' }).expect(201);
      const order = [];
      for (let res = await q.dequeue({ Wait: 0 }); res.status === 200; res = await q.dequeue({ Wait: 0 })) order.push(res.body.Data);
      expect(order).toEqual(['c5', 'a0', 'd0', 'b-1']);
    });

    it('answers a dequeue batch in line order: priority first, then place, within and across channels', async () => {
      await q.enqueueBatch([
        { KeyValues: { c: 'a' }, Data: 'a1', Updateable: false },
        { KeyValues: { c: 'a' }, Data: 'a2', Updateable: false },
        { KeyValues: { c: 'a' }, Data: 'a-top', Priority: 3, Updateable: false },
        { KeyValues: { c: 'b' }, Data: 'b1', Updateable: false },
        { KeyValues: { c: 'b' }, Data: 'b2', Updateable: false },
      ]).expect(200);
      const batch = await q.dequeueBatch({ Count: 5, Wait: 0 });
      expect(batch.body.Items.map((i: { Data: string }) => i.Data)).toEqual(['a-top', 'a1', 'a2', 'b1', 'b2']);
    });

    it('orders a channel by priority, shows Priority and Position, and lets a collapse take the new priority', async () => {
      const low = (await q.enqueue({ KeyValues: { c: 'a' }, Data: 'low', Updateable: false }).expect(201)).body.ID;
      const high = (await q.enqueue({ KeyValues: { c: 'a' }, Data: 'high', Priority: 9, Updateable: false }).expect(201)).body.ID;
      const tail = (await q.enqueue({ KeyValues: { c: 'a' }, Data: 'tail' }).expect(201)).body.ID;
      expect((await inspect(low).expect(200)).body).toMatchObject({ Priority: 0, Position: 1 });
      expect((await inspect(high).expect(200)).body).toMatchObject({ Priority: 9, Position: 0 });
      await q.enqueue({ KeyValues: { c: 'a' }, Data: 'tail, urgent', Priority: 100 }).expect(200);
      expect((await inspect(tail).expect(200)).body).toMatchObject({ Priority: 100, Position: 0 });
      const order = [];
      for (let res = await q.dequeue({ Wait: 0 }); res.status === 200; res = await q.dequeue({ Wait: 0 })) order.push(res.body.Data);
      expect(order).toEqual(['tail, urgent', 'high', 'low']);
    });
  });
});

/** One real-time check of the due timer: a long-poll waiting for a delayed item is answered just after it is due. */
describe('a delayed item in real time', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await storeCases()[0].start();
  });
  afterAll(() => sut.close());

  it('is handed to a waiting dequeue within a generous bound after its due time, and not before it', async () => {
    const q = new QueueClient(sut, 'rt');
    await q.create().expect(201);
    const waiting = q.dequeue({ Wait: '20s' });
    const enqueuedAt = Date.now();
    await q.enqueue({ KeyValues: { n: 1 }, Data: 'due', Delay: '400ms' }).expect(201);
    const res = await waiting;
    const elapsed = Date.now() - enqueuedAt;
    expect(res.body).toMatchObject({ Data: 'due' });
    expect(elapsed).toBeGreaterThanOrEqual(390);
    // A poller with the usual 5 s period, or the Wait running out, would take far longer.
    expect(elapsed).toBeLessThan(2_500);
  });
});

/**
 * Two app instances on one PostgreSQL schema, without periodic re-reads: a dequeue waiting on A is served by A's own
 * due timer for a delayed item enqueued through B (A learns of the item from B's announcement, then waits for it to
 * become due), B sees the due time A's consumer made by failing an item with a backoff, and a cancel through B
 * reaches the holder of the delivery on A.
 */
describePostgres('delayed items across instances', (databaseUrl) => {
  const schema = freshSchemaName('e2e_delay');
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { WILLOW_STORAGE: 'postgres', DATABASE_URL: databaseUrl, WILLOW_PG_SCHEMA: schema, WILLOW_CATCH_UP_MS: '3600000' };
    a = await createTestApp(env);
    b = await createTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(databaseUrl, schema);
  });

  it('wakes a dequeue waiting on A when an item enqueued through B becomes due', async () => {
    const qa = new QueueClient(a, 'shared');
    const qb = new QueueClient(b, 'shared');
    await qa.create().expect(201);
    const waiting = qa.dequeue({ Wait: '20s' });
    await sleep(200); // parked on A first: what is shown is the wake-up at the due time
    const enqueuedAt = Date.now();
    const id = (await qb.enqueue({ KeyValues: { n: 1 }, Data: 'from B', Delay: '600ms' }).expect(201)).body.ID;
    const res = await waiting;
    const elapsed = Date.now() - enqueuedAt;
    expect(res.body).toMatchObject({ ID: id, Data: 'from B' });
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(3_000);

    await qa.ack(id, { Passed: false, Attempt: 1 }).expect(200);
    expect((await qb.dequeue({ Wait: 0 })).status).toBe(204); // RetryAttempts 0: a dead letter, not a retry
    const retried = (await qb.enqueue({ KeyValues: { n: 2 }, Data: 'retry', RetryAttempts: 1, RetryDelay: '1h' }).expect(201)).body.ID;
    expect((await qa.dequeue({ Wait: '5s' })).body.ID).toBe(retried);
    await qa.ack(retried, { Passed: false, Attempt: 1 }).expect(200);
    expect((await b.http().get(`/v1/queues/shared/items/${retried}`).expect(200)).body).toMatchObject({ State: 'scheduled' });
    expect((await qb.dequeue({ Wait: 0 })).status).toBe(204);
  });

  it('tells the holder on A of a delivery cancelled through B, whose counts B shows at once', async () => {
    const qa = new QueueClient(a, 'cancels');
    const qb = new QueueClient(b, 'cancels');
    await qa.create().expect(201);
    const id = (await qa.enqueue({ KeyValues: { n: 1 }, Data: 'build' }).expect(201)).body.ID;
    expect((await qa.dequeue({ Wait: 0 })).body).toMatchObject({ ID: id, Attempt: 1 });
    await b.http().delete(`/v1/queues/cancels/items/${id}`).expect(204);
    const beat = await qa.heartbeat(id, { Attempt: 1 });
    expect([beat.status, beat.body.Code, beat.body.Message]).toEqual([409, 'LEASE_LOST', expect.stringMatching(/cancel/i)]);
    expect((await qa.ack(id, { Passed: true, Attempt: 1 })).status).toBe(409);
    expect((await qb.info().expect(200)).body).toMatchObject({ Waiting: 0, Processing: 0 });
  });
});
