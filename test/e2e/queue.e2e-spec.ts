import { FakeScheduler } from '../../src/common/fake-scheduler';
import { parked, QueueClient, waitUntil } from '../support/queue-client';
import { WILLOW_PORT, type WillowPort } from '../../src/willow';
import { createTestApp, type TestApp } from '../support/test-app';

describe('Willow queue over HTTP', () => {
  let sut: TestApp;
  let q: QueueClient;
  /** The app's clock and timers: leases run out and waits end only when a test advances it. */
  let time: FakeScheduler;
  beforeEach(async () => {
    time = new FakeScheduler();
    sut = await createTestApp({}, { time });
    q = new QueueClient(sut, 'builds');
    await q.create().expect(201);
  });
  afterEach(() => sut.close());

  const branch = (b: string) => ({ repo_name: 'willow', branch_name: b });

  describe('queues', () => {
    it('creates, lists, gets, updates and deletes queues with real counts', async () => {
      await sut.http().post('/v1/queues').send({ Name: 'builds' }).expect(409);
      await sut.http().post('/v1/queues').send({ Name: 'a queue', MaxItems: 5 }).expect(201);
      const list = await sut.http().get('/v1/queues').expect(200);
      expect(list.body.map((x: { Name: string }) => x.Name)).toEqual(['a queue', 'builds']);
      await q.enqueue({ KeyValues: branch('a'), Data: 1 }).expect(201);
      await q.enqueue({ KeyValues: branch('b'), Data: 2 }).expect(201);
      await q.dequeue().then((r) => expect(r.status).toBe(200));
      expect((await q.info().expect(200)).body).toEqual({ Name: 'builds', MaxItems: -1, Paused: false, Waiting: 1, Scheduled: 0, Processing: 1, Channels: 2 });
      const updated = await sut.http().put('/v1/queues/builds').send({ MaxItems: 10 }).expect(200);
      expect(updated.body.MaxItems).toBe(10);
      await sut.http().get('/v1/queues/a%20queue').expect(200);
      await q.remove().expect(204);
      const gone = await q.info();
      expect(gone.status).toBe(404);
      expect(gone.body.Code).toBe('QUEUE_NOT_FOUND');
      // Dequeued from before, so known to exist: the deletion makes it unknown again.
      const dequeued = await q.dequeue();
      expect([dequeued.status, dequeued.body.Code]).toEqual([404, 'QUEUE_NOT_FOUND']);
    });

    it('refuses items above MaxItems with QUEUE_FULL, but a collapse never counts as a new item', async () => {
      const small = new QueueClient(sut, 'small');
      await small.create(2).expect(201);
      await small.enqueue({ KeyValues: { c: 1 }, Data: 1 }).expect(201);
      await small.enqueue({ KeyValues: { c: 2 }, Data: 1 }).expect(201);
      await small.enqueue({ KeyValues: { c: 2 }, Data: 2 }).expect(200);
      const full = await small.enqueue({ KeyValues: { c: 3 }, Data: 1 });
      expect(full.status).toBe(409);
      expect(full.body.Code).toBe('QUEUE_FULL');
      await sut.http().put('/v1/queues/small').send({ MaxItems: 1 }).expect(200);
      expect((await small.info()).body.Waiting).toBe(2);
    });
  });

  describe('collapse', () => {
    it('replaces the updateable last waiting item in place, keeping its ID and place', async () => {
      const first = await q.enqueue({ KeyValues: branch('main'), Data: 'c1' }).expect(201);
      const other = await q.enqueue({ KeyValues: branch('dev'), Data: 'd1' }).expect(201);
      const second = await q.enqueue({ KeyValues: branch('main'), Data: 'c2' }).expect(200);
      expect(second.body).toEqual({ ID: first.body.ID, Collapsed: true });
      const got = await q.dequeue();
      expect(got.body).toMatchObject({ ID: first.body.ID, Data: 'c2', Attempt: 1 });
      expect((await q.dequeue()).body.ID).toBe(other.body.ID);
    });

    it('follows the original story: Updateable false still replaces the tail, the next item is appended behind it', async () => {
      const a = await q.enqueue({ KeyValues: branch('f'), Data: 'c1' }).expect(201);
      await q.enqueue({ KeyValues: branch('f'), Data: 'c2', Updateable: false }).expect(200);
      const b = await q.enqueue({ KeyValues: branch('f'), Data: 'c3' }).expect(201);
      expect(b.body.ID).not.toBe(a.body.ID);
      const processed: unknown[] = [];
      for (;;) {
        const got = await q.dequeue();
        if (got.status === 204) break;
        processed.push(got.body.Data);
        await q.ack(got.body.ID).expect(200);
      }
      expect(processed).toEqual(['c2', 'c3']);
    });

    it('never changes an item being processed', async () => {
      await q.enqueue({ KeyValues: branch('p'), Data: 'old' }).expect(201);
      const got = await q.dequeue();
      const next = await q.enqueue({ KeyValues: branch('p'), Data: 'new' }).expect(201);
      expect(next.body.ID).not.toBe(got.body.ID);
      expect(got.body.Data).toBe('old');
    });
  });

  describe('dequeue', () => {
    it('answers 204 when nothing matches within Wait, and 404 for an unknown queue', async () => {
      const waiting = await parked(time, () => q.dequeue({ Wait: '50ms' }));
      await time.advance(50);
      expect((await waiting.answer).status).toBe(204);
      const unknown = await sut.http().post('/v1/queues/nope/items/dequeue').send({});
      expect(unknown.status).toBe(404);
    });

    it('selects channels by query: equality, $exists false and OnlyKeys', async () => {
      await q.enqueue({ KeyValues: { os: 'linux', ios_required: true }, Data: 'ios' }).expect(201);
      await q.enqueue({ KeyValues: { os: 'mac' }, Data: 'mac' }).expect(201);
      await q.enqueue({ KeyValues: { os: 'linux', gpu: 'a100' }, Data: 'gpu' }).expect(201);
      await q.enqueue({ KeyValues: { os: 'linux' }, Data: 'plain' }).expect(201);
      const got = await q.dequeue({ Wait: 0, Query: { Where: { os: 'linux', ios_required: { $exists: false } }, OnlyKeys: ['os'] } });
      expect(got.body.Data).toBe('plain');
      const none = await q.dequeue({ Wait: 0, Query: { Where: { os: 'windows' } } });
      expect(none.status).toBe(204);
    });

    it('is FIFO within a channel and oldest-first across channels', async () => {
      await q.enqueue({ KeyValues: { c: 'x' }, Data: 1, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { c: 'y' }, Data: 2, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { c: 'x' }, Data: 3, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { c: 'y' }, Data: 4, Updateable: false }).expect(201);
      const order = [];
      for (let i = 0; i < 4; i++) order.push((await q.dequeue()).body.Data);
      expect(order).toEqual([1, 2, 3, 4]);
    });

    it('wakes a waiting dequeue for a channel that did not exist when it started, without polling', async () => {
      const waiting = await parked(time, () => q.dequeue({ Wait: '30s', Query: { Where: { kind: 'new' } } }));
      await q.enqueue({ KeyValues: { kind: 'new' }, Data: 'hello' }).expect(201);
      // Time never moves in this test: no timer of the server (a poll) can have answered, only the enqueue.
      const got = await waiting.answer;
      expect(got.status).toBe(200);
      expect(got.body.Data).toBe('hello');
    });

    it('hands out up to Count items in one dequeue-batch', async () => {
      await q.enqueueBatch(Array.from({ length: 5 }, (_, i) => ({ KeyValues: { n: i }, Data: i }))).expect(200);
      const got = await q.dequeueBatch({ Count: 3, Wait: 0 });
      expect(got.status).toBe(200);
      expect(got.body.Items.map((i: { Data: number }) => i.Data)).toEqual([0, 1, 2]);
    });
  });

  describe('limiter gate', () => {
    it('blocks a channel whose running counter is at its limit, shows BlockedBy, and resumes on ack', async () => {
      await sut.http().post('/v1/limiter/rules').send({ Name: 'per_branch', GroupBy: ['repo_name', 'branch_name'], Limit: 1 }).expect(201);
      await q.enqueue({ KeyValues: branch('f'), Data: 1, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: branch('f'), Data: 2 }).expect(201);
      const first = await q.dequeue();
      expect(first.body.Data).toBe(1);
      expect((await q.dequeue({ Wait: 0 })).status).toBe(204);
      const channels = await q.channels().expect(200);
      expect(channels.body).toEqual([
        { KeyValues: branch('f'), Waiting: 1, Processing: 1, Scheduled: 0, BlockedBy: { Rule: 'per_branch', Limit: 1, Count: 1 } },
      ]);
      const counters = await sut.http().get('/v1/limiter/counters').expect(200);
      expect(counters.body).toEqual([{ KeyValues: { ...branch('f'), _willow_queue: 'builds' }, Counters: 1 }]);

      const waiting = await parked(time, () => q.dequeue({ Wait: '30s' }));
      await q.ack(first.body.ID).expect(200); // time does not move: the ack's freed capacity wakes the waiter
      const second = await waiting.answer;
      expect(second.body.Data).toBe(2);
    });
  });

  describe('leases, acks and retries', () => {
    it('extends the lease on heartbeat and removes the item on a passed ack', async () => {
      await q.enqueue({ KeyValues: { a: 1 }, Data: 1 }).expect(201);
      const got = await q.dequeue();
      const hb = await q.heartbeat(got.body.ID, { Attempt: 1 }).expect(200);
      expect(Date.parse(hb.body.ExpiresAt)).toBeGreaterThanOrEqual(Date.parse(got.body.ExpiresAt));
      await q.ack(got.body.ID, { Passed: true, Attempt: 1 }).expect(200);
      const again = await q.ack(got.body.ID, { Passed: true });
      expect(again.status).toBe(404);
      expect(again.body.Code).toBe('ITEM_NOT_FOUND');
      expect((await q.info()).body).toMatchObject({ Waiting: 0, Processing: 0, Channels: 0 });
    });

    it('retries a failed item at the front with a higher Attempt, then dead-letters it after RetryAttempts', async () => {
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'job', RetryAttempts: 1, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'later' }).expect(201);
      const first = await q.dequeue();
      await q.ack(first.body.ID, { Passed: false, Attempt: 1 }).expect(200);
      const retry = await q.dequeue();
      expect(retry.body).toMatchObject({ ID: first.body.ID, Attempt: 2 });
      await q.ack(retry.body.ID, { Passed: false }).expect(200);
      const dead = await q.deadLetters().expect(200);
      expect(dead.body).toEqual([
        { ID: first.body.ID, KeyValues: { a: 1 }, Data: 'job', Attempts: 2, Reason: 'failed', DeadAt: expect.any(String), LastError: null },
      ]);
      expect((await q.dequeue()).body.Data).toBe('later');
      await sut.http().post(`/v1/queues/builds/dead-letters/${first.body.ID}/requeue`).expect(200, { ID: first.body.ID });
      const requeued = await q.dequeue();
      expect(requeued.body).toMatchObject({ ID: first.body.ID, Attempt: 1 });
    });

    it('puts a RetryPosition back item behind the others', async () => {
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'x', RetryAttempts: 1, RetryPosition: 'back', Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'y', Updateable: false }).expect(201);
      const x = await q.dequeue();
      await q.ack(x.body.ID, { Passed: false }).expect(200);
      expect((await q.dequeue()).body.Data).toBe('y');
      expect((await q.dequeue()).body.Data).toBe('x');
    });

    it('drops a failed updateable item when a newer item waits in its channel', async () => {
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'old', RetryAttempts: 3 }).expect(201);
      const old = await q.dequeue();
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'new' }).expect(201);
      await q.ack(old.body.ID, { Passed: false }).expect(200);
      expect((await q.deadLetters()).body).toEqual([]);
      expect((await q.dequeue()).body.Data).toBe('new');
      expect((await q.dequeue()).status).toBe(204);
    });

    it('expires a lease without heartbeat, re-delivers, and refuses the stale delivery with LEASE_LOST', async () => {
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'slow', Timeout: '100ms', RetryAttempts: 1 }).expect(201);
      const first = await q.dequeue();
      const waiting = await parked(time, () => q.dequeue({ Wait: '10s' }));
      await time.advance(99);
      expect(await q.info()).toMatchObject({ body: { Waiting: 0, Processing: 1 } });
      await time.advance(1);
      const second = await waiting.answer;
      expect(second.body).toMatchObject({ ID: first.body.ID, Attempt: 2 });
      const stale = await q.ack(first.body.ID, { Passed: true, Attempt: 1 });
      expect(stale.status).toBe(409);
      expect(stale.body.Code).toBe('LEASE_LOST');
      const staleHb = await q.heartbeat(first.body.ID, { Attempt: 1 });
      expect(staleHb.status).toBe(409);
      await q.ack(second.body.ID, { Passed: true, Attempt: 2 }).expect(200);
    });

    it('lowers the running counter exactly once in every path', async () => {
      await q.enqueue({ KeyValues: { p: 'ack' }, Data: 1 }).expect(201);
      await q.enqueue({ KeyValues: { p: 'fail' }, Data: 1, RetryAttempts: 1 }).expect(201);
      await q.enqueue({ KeyValues: { p: 'dead' }, Data: 1 }).expect(201);
      await q.enqueue({ KeyValues: { p: 'lease' }, Data: 1, Timeout: '100ms' }).expect(201);
      const items = (await q.dequeueBatch({ Count: 4, Wait: 0 })).body.Items;
      const byP = Object.fromEntries(items.map((i: { KeyValues: { p: string }; ID: string }) => [i.KeyValues.p, i.ID]));
      await q.ack(byP.ack).expect(200);
      await q.ack(byP.fail, { Passed: false }).expect(200);
      await q.ack(byP.dead, { Passed: false }).expect(200);
      await time.advance(100);
      await waitUntil(async () => (await q.deadLetters()).body.length === 2);
      const counters = await sut.http().get('/v1/limiter/counters').expect(200);
      expect(counters.body).toEqual([]);
    });

    it('judges each ack of an ack-batch on its own', async () => {
      await q.enqueueBatch([{ KeyValues: { a: 1 }, Data: 1 }, { KeyValues: { a: 2 }, Data: 2 }]).expect(200);
      const items = (await q.dequeueBatch({ Count: 2, Wait: 0 })).body.Items;
      const res = await q.ackBatch([
        { ID: items[0].ID, Passed: true },
        { ID: 'unknown', Passed: true },
        { ID: items[1].ID, Passed: true, Attempt: 7 },
      ]).expect(200);
      expect(res.body.Results).toEqual([
        { ID: items[0].ID, Status: 200 },
        { ID: 'unknown', Status: 404, Code: 'ITEM_NOT_FOUND', Message: expect.any(String) },
        { ID: items[1].ID, Status: 409, Code: 'LEASE_LOST', Message: expect.any(String) },
      ]);
      expect((await q.info()).body).toMatchObject({ Processing: 1 });
    });
  });

  describe('disconnects and deletes', () => {
    it('leaves nothing claimed by a waiting consumer that disconnected', async () => {
      const controller = new AbortController();
      const armed = time.pending;
      const gone = await parked(time, () =>
        fetch(`${sut.url}/v1/queues/builds/items/dequeue`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ Wait: '30s' }),
          signal: controller.signal,
        }).catch(() => 'aborted'),
      );
      controller.abort();
      expect(await gone.answer).toBe('aborted');
      await waitUntil(async () => time.pending === armed); // the server noticed: the waiter and its Wait are gone
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'keep' }).expect(201);
      expect((await q.info()).body).toMatchObject({ Waiting: 1, Processing: 0 });
      expect((await q.dequeue()).body).toMatchObject({ Data: 'keep', Attempt: 1 });
    });

    it('gives an undelivered item back first in line with its attempt uncounted and its counter freed', async () => {
      const willow = sut.app.get<WillowPort>(WILLOW_PORT);
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'first', Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { a: 1 }, Data: 'second' }).expect(201);
      const [delivery] = await willow.dequeue({ queue: 'builds', query: {}, waitMs: 0, count: 1 });
      expect((await sut.http().get('/v1/limiter/counters')).body).toHaveLength(1);
      await willow.giveBack('builds', [delivery]);
      expect((await sut.http().get('/v1/limiter/counters')).body).toEqual([]);
      expect((await q.dequeue()).body).toMatchObject({ ID: delivery.id, Data: 'first', Attempt: 1 });
    });

    it('ends a waiting dequeue with 410 QUEUE_DELETED when the queue is deleted', async () => {
      const waiting = await parked(time, () => q.dequeue({ Wait: '30s' }));
      await q.remove().expect(204);
      const res = await waiting.answer;
      expect(res.status).toBe(410);
      expect(res.body.Code).toBe('QUEUE_DELETED');
    });

    it('deletes a channel with its items and frees their counters', async () => {
      await q.enqueue({ KeyValues: { a: 1 }, Data: 1, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { a: 1 }, Data: 2 }).expect(201);
      await q.dequeue();
      await sut.http().delete('/v1/queues/builds/channels').send({ KeyValues: { a: 1 } }).expect(204);
      expect((await q.channels()).body).toEqual([]);
      expect((await sut.http().get('/v1/limiter/counters')).body).toEqual([]);
    });
  });

  describe('bad input', () => {
    it.each([
      [{ KeyValues: { _x: 1 }, Data: 1 }, 'KeyValues._x'],
      [{ KeyValues: { a: 1 } }, 'Data'],
      [{ KeyValues: { a: 1 }, Data: 1, RetryAttempts: -1 }, 'RetryAttempts'],
      [{ KeyValues: { a: 1 }, Data: 1, RetryPosition: 'middle' }, 'RetryPosition'],
      [{ KeyValues: { a: 1 }, Data: 1, Timeout: '1ms' }, 'Timeout'],
    ])('refuses enqueue %j naming %s', async (body, path) => {
      const res = await q.enqueue(body);
      expect(res.status).toBe(400);
      expect(res.body.Path).toBe(path);
    });

    it('refuses Data above the cap with 413 TOO_LARGE', async () => {
      const res = await q.enqueue({ KeyValues: { a: 1 }, Data: 'x'.repeat(sut.config.maxDataBytes + 1) });
      expect(res.status).toBe(413);
      expect(res.body.Code).toBe('TOO_LARGE');
    });

    it('names the index of a bad item in a batch and writes nothing', async () => {
      const res = await q.enqueueBatch([{ KeyValues: { a: 1 }, Data: 1 }, { KeyValues: { a: null }, Data: 1 }]);
      expect(res.status).toBe(400);
      expect(res.body.Path).toBe('Items[1].KeyValues.a');
      expect((await q.info()).body.Waiting).toBe(0);
    });

    it('refuses an invalid query operator with its path', async () => {
      const res = await q.dequeue({ Query: { Where: { os: { $like: 'x' } } } });
      expect(res.status).toBe(400);
      expect(res.body.Path).toBe('Query.Where.os.$like');
    });
  });
});
