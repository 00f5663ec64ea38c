import { FakeScheduler } from '../../src/common/fake-scheduler';
import { describePostgres, dropSchema, freshSchemaName } from '../conformance/support/postgres-fixture';
import { parked, QueueClient, waitUntil } from '../support/queue-client';
import { storeCases } from '../support/stores';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(60_000);

const put = (sut: TestApp, queue: string, body: object) => sut.http().put(`/v1/queues/${queue}`).send(body);
/** Lets every callback queued now run (settled promises, I/O callbacks already due): no time passes on the fake clock. */
const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** DESIGN §7.8: pausing a queue, and the failure reason of a failed ack (LastError), over HTTP on both stores. */
describe.each(storeCases())('queue pause and failure reasons over HTTP ($name store)', (store) => {
  let sut: TestApp;
  let q: QueueClient;
  /** Waits end and leases run out only when a test advances it. */
  let time: FakeScheduler;
  beforeEach(async () => {
    time = new FakeScheduler();
    sut = await store.start({}, { time });
    q = new QueueClient(sut, 'builds');
    await q.create().expect(201);
  });
  afterEach(() => sut.close());

  describe('pause', () => {
    it('sets Paused and MaxItems independently: an absent field keeps its value; every queue answer shows Paused', async () => {
      expect((await q.info().expect(200)).body).toMatchObject({ Paused: false, MaxItems: -1 });
      expect((await put(sut, 'builds', { Paused: true }).expect(200)).body).toMatchObject({ Name: 'builds', Paused: true, MaxItems: -1 });
      expect((await put(sut, 'builds', { MaxItems: 7 }).expect(200)).body).toMatchObject({ Paused: true, MaxItems: 7 });
      expect((await q.info().expect(200)).body).toMatchObject({ Paused: true, MaxItems: 7 });
      expect((await sut.http().get('/v1/queues').expect(200)).body).toEqual([expect.objectContaining({ Name: 'builds', Paused: true })]);
      expect((await put(sut, 'builds', { Paused: false, MaxItems: -1 }).expect(200)).body).toMatchObject({ Paused: false, MaxItems: -1 });
    });

    it('refuses an empty change and a Paused that is not a boolean with 400, an unknown queue with 404', async () => {
      expect((await put(sut, 'builds', {}).expect(400)).body).toMatchObject({ Code: 'INVALID_INPUT' });
      expect((await put(sut, 'builds', { Paused: 'yes' }).expect(400)).body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Paused' });
      expect((await put(sut, 'nope', { Paused: true }).expect(404)).body).toMatchObject({ Code: 'QUEUE_NOT_FOUND' });
      expect((await q.info().expect(200)).body).toMatchObject({ Paused: false });
    });

    it('accepts enqueues, heartbeats and acks while paused, and hands out nothing', async () => {
      await q.enqueue({ KeyValues: { n: 1 }, Data: 1, Updateable: false }).expect(201);
      const running = (await q.dequeue()).body as { ID: string; Attempt: number };
      await put(sut, 'builds', { Paused: true }).expect(200);
      await q.enqueue({ KeyValues: { n: 2 }, Data: 2 }).expect(201);
      await q.enqueueBatch([{ KeyValues: { n: 3 }, Data: 3 }]).expect(200);
      await q.heartbeat(running.ID, { Attempt: 1 }).expect(200);
      await q.ack(running.ID, { Passed: true, Attempt: 1 }).expect(200);
      expect((await q.dequeue()).status).toBe(204);
      expect((await q.dequeueBatch({ Count: 10, Wait: 0 })).status).toBe(204);
      expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 2, Processing: 0 });
    });

    it('keeps a waiting dequeue parked while paused, even as items arrive, and serves it at once on resume', async () => {
      const waiting = await parked(time, () => q.dequeue({ Wait: '30s' }));
      await put(sut, 'builds', { Paused: true }).expect(200);
      let answered = false;
      void waiting.answer.then(() => (answered = true));
      await q.enqueue({ KeyValues: { n: 1 }, Data: 'held' }).expect(201);
      await turns();
      expect(answered).toBe(false);
      // No time passes: the resume itself wakes the waiter (nothing polls).
      await put(sut, 'builds', { Paused: false }).expect(200);
      const res = await waiting.answer;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ Data: 'held', Attempt: 1 });
    });

    it('ends a parked dequeue of a paused queue with 204 after its Wait', async () => {
      await put(sut, 'builds', { Paused: true }).expect(200);
      await q.enqueue({ KeyValues: { n: 1 }, Data: 1 }).expect(201);
      const waiting = await parked(time, () => q.dequeue({ Wait: '5s' }));
      await time.advance(5_000);
      expect((await waiting.answer).status).toBe(204);
    });
  });

  describe('failure reasons', () => {
    const take = async () => (await q.dequeue()).body as { ID: string; Attempt: number };

    it("keeps a failed ack's Error as LastError: the last one shows on the dead letter", async () => {
      await q.enqueue({ KeyValues: { n: 1 }, Data: 'job', RetryAttempts: 1 }).expect(201);
      const first = await take();
      await q.ack(first.ID, { Passed: false, Attempt: 1, Error: 'exit code 1' }).expect(200);
      const second = await take();
      expect(second.Attempt).toBe(2);
      await q.ack(second.ID, { Passed: false, Attempt: 2, Error: 'exit code 2: ünïcode\nsecond line' }).expect(200);
      const dead = (await q.deadLetters().expect(200)).body;
      expect(dead).toEqual([expect.objectContaining({ ID: first.ID, Reason: 'failed', Attempts: 2, LastError: 'exit code 2: ünïcode\nsecond line' })]);
    });

    it('takes Error in an ack batch, and answers LastError null for a failure without one', async () => {
      await q.enqueueBatch([{ KeyValues: { n: 1 }, Data: 1 }, { KeyValues: { n: 2 }, Data: 2 }]).expect(200);
      const [a, b] = [await take(), await take()];
      const res = await q.ackBatch([{ ID: a.ID, Passed: false, Error: 'batch reason' }, { ID: b.ID, Passed: false }]).expect(200);
      expect(res.body.Results.map((r: { Status: number }) => r.Status)).toEqual([200, 200]);
      const dead = (await q.deadLetters().expect(200)).body as Array<{ Data: number; LastError: string | null }>;
      expect(dead.map((d) => [d.Data, d.LastError])).toEqual([[1, 'batch reason'], [2, null]]);
    });

    it('sets LastError "lease expired" when the lease runs out', async () => {
      await q.enqueue({ KeyValues: { n: 1 }, Data: 1, Timeout: '1s' }).expect(201);
      await take();
      await time.advance(1_000);
      // The expiry fired at the fake instant; its write to the store completes on its own.
      await waitUntil(async () => (await q.deadLetters().expect(200)).body.length > 0);
      const dead = (await q.deadLetters().expect(200)).body;
      expect(dead).toEqual([expect.objectContaining({ Reason: 'lease expired', LastError: 'lease expired' })]);
    });

    it('accepts an Error of 4 KiB and refuses one byte more, an Error with Passed true, or a non-string, with 400', async () => {
      await q.enqueueBatch([{ KeyValues: { n: 1 }, Data: 1 }, { KeyValues: { n: 2 }, Data: 2 }]).expect(200);
      const [a, b] = [await take(), await take()];
      const tooLong = await q.ack(a.ID, { Passed: false, Error: 'x'.repeat(4_097) }).expect(400);
      expect(tooLong.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Error' });
      expect((await q.ack(a.ID, { Passed: true, Error: 'no' }).expect(400)).body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Error' });
      expect((await q.ack(a.ID, { Passed: false, Error: 12 }).expect(400)).body).toMatchObject({ Path: 'Error' });
      const batch = await q.ackBatch([{ ID: b.ID, Passed: false }, { ID: a.ID, Passed: true, Error: 'no' }]).expect(400);
      expect(batch.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Acks[1].Error' });
      // Nothing was settled by the refused requests; the largest reason is kept whole.
      const max = 'é'.repeat(2_048);
      await q.ack(a.ID, { Passed: false, Error: max }).expect(200);
      expect((await q.deadLetters().expect(200)).body).toEqual([expect.objectContaining({ ID: a.ID, LastError: max })]);
    });
  });
});

/**
 * Two app instances on one PostgreSQL schema: a queue paused on A and resumed through B serves A's parked dequeue.
 * A's timers are fake and never advanced, so neither its Wait nor its periodic re-read can end the wait: only B's
 * announcement of the resume can.
 */
describePostgres('queue pause across instances', (databaseUrl) => {
  const schema = freshSchemaName('e2e_pause');
  let a: TestApp;
  let b: TestApp;
  let timeA: FakeScheduler;
  beforeAll(async () => {
    const env = { WILLOW_STORAGE: 'postgres', DATABASE_URL: databaseUrl, WILLOW_PG_SCHEMA: schema };
    timeA = new FakeScheduler();
    a = await createTestApp(env, { time: timeA });
    b = await createTestApp(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(databaseUrl, schema);
  });

  it('serves a dequeue waiting on A as soon as the queue is resumed through B; B answers the pause made on A', async () => {
    const qa = new QueueClient(a, 'shared');
    const qb = new QueueClient(b, 'shared');
    await qa.create().expect(201);
    await put(a, 'shared', { Paused: true }).expect(200);
    expect((await qb.info().expect(200)).body).toMatchObject({ Paused: true });
    const waiting = await parked(timeA, () => qa.dequeue({ Wait: '60s' }));
    await qb.enqueue({ KeyValues: { n: 1 }, Data: 'for A' }).expect(201);
    await put(b, 'shared', { Paused: false }).expect(200);
    const res = await waiting.answer;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ Data: 'for A' });
    expect((await qa.info().expect(200)).body).toMatchObject({ Paused: false });
  });
});
