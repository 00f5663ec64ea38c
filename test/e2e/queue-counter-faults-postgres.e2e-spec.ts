import { StoreUnavailableError } from '../../src/common/errors';
import { LIMITER_STORE, type LimiterStore, type PlannedDecrement } from '../../src/limiter/limiter.store';
import { describePostgres, dropSchema, freshSchemaName } from '../conformance/support/postgres-fixture';
import { QueueClient } from '../support/queue-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

jest.setTimeout(60_000);

/**
 * On PostgreSQL (a store shared by several instances, where counters are never re-set from the items processing), a
 * running counter whose decrement fails with a store error still goes down exactly once (DESIGN §7.4): the queue
 * sends it again until it lands, with its opId, so a first attempt that committed but answered an error is not
 * applied twice. The limiter store's decrements fail while `failing` is set (before writing anything), and with
 * `loseAnswers` the next ones commit and then answer STORE_UNAVAILABLE, as after a connection lost during COMMIT.
 */
describePostgres('Running counters through store faults on PostgreSQL', (url) => {
  let schema: string;
  let sut: TestApp;
  let failing: boolean;
  let loseAnswers: number;
  let attempts: PlannedDecrement[];
  beforeEach(async () => {
    schema = freshSchemaName('e2e');
    sut = await createTestApp({ WILLOW_STORAGE: 'postgres', DATABASE_URL: url, WILLOW_PG_SCHEMA: schema });
    failing = false;
    loseAnswers = 0;
    attempts = [];
    const store = sut.app.get<LimiterStore>(LIMITER_STORE);
    const decrement = store.decrement.bind(store);
    jest.spyOn(store, 'decrement').mockImplementation(async (change) => {
      attempts.push(change);
      if (failing) throw new StoreUnavailableError('connection terminated');
      const moved = await decrement(change);
      if (loseAnswers > 0 && loseAnswers--) throw new StoreUnavailableError('connection terminated during COMMIT');
      return moved;
    });
    await sut.http().post('/v1/limiter/rules').send({ Name: 'one-per-team', GroupBy: ['team'], Limit: 1 }).expect(201);
  });
  afterEach(async () => {
    await sut.close();
    await dropSchema(url, schema);
  });

  const counters = async () => ((await sut.http().get('/v1/limiter/counters').expect(200)).body as Array<{ Counters: number }>).map((c) => c.Counters);
  const countersDown = async () => {
    const res = await sut.http().get('/health/ready');
    return res.status === 503 && JSON.stringify(res.body).includes('counters');
  };
  /** A queue holding two items of one team: the first is handed out, the second is held by `Limit: 1`. */
  const blockedQueue = async (timeout = '30s') => {
    const q = new QueueClient(sut, 'ci');
    await q.create().expect(201);
    await q.enqueue({ KeyValues: { team: 'a', job: 1 }, Data: 1, Timeout: timeout }).expect(201);
    await q.enqueue({ KeyValues: { team: 'a', job: 2 }, Data: 2 }).expect(201);
    const first = await q.dequeue();
    expect(first.body).toMatchObject({ Data: 1 });
    expect((await q.dequeue()).status).toBe(204);
    return { q, first: first.body as { ID: string } };
  };

  it('frees the counter of an acked item whose decrement failed, for a dequeue already waiting, without a restart', async () => {
    const { q, first } = await blockedQueue();
    const waiting = q.dequeue({ Wait: '20s' });
    failing = true;
    await q.ack(first.ID).expect(200);
    await waitUntil(async () => attempts.length > 2, 10_000); // sent again, and failing again
    expect(await countersDown()).toBe(true); // readiness tells while the decrement waits to be sent again
    failing = false;
    expect((await waiting).body).toMatchObject({ Data: 2 });
    expect(await counters()).toEqual([1]);
    await waitUntil(async () => !(await countersDown()), 10_000);
    expect(new Set(attempts.map((a) => a.opId)).size).toBe(1);
  });

  it('applies once a decrement that committed but answered an error, when it is sent again', async () => {
    // Two items of one channel processing (its counter at 2), so a second application would show (1, not 2 below).
    await sut.http().post('/v1/limiter/rules').send({ Name: 'two-per-crew', GroupBy: ['crew'], Limit: 2 }).expect(201);
    const q = new QueueClient(sut, 'ci');
    await q.create().expect(201);
    for (const data of [1, 2, 3]) await q.enqueue({ KeyValues: { crew: 'b' }, Data: data, Updateable: false }).expect(201);
    const first = (await q.dequeue()).body as { ID: string };
    expect((await q.dequeue()).body).toMatchObject({ Data: 2 });
    expect((await q.dequeue()).status).toBe(204);
    const waiting = q.dequeue({ Wait: '20s' });
    loseAnswers = 1;
    await q.ack(first.ID).expect(200);
    expect((await waiting).body).toMatchObject({ Data: 3 });
    await waitUntil(async () => !(await countersDown()), 10_000);
    expect(attempts).toHaveLength(2);
    expect(attempts[1].opId).toBe(attempts[0].opId);
    expect(await counters()).toEqual([2]); // the two items processing, not one below
  });

  it('frees the counter of a lease that expired while its decrement failed', async () => {
    const { q } = await blockedQueue('300ms');
    const waiting = q.dequeue({ Wait: '20s' });
    failing = true;
    await waitUntil(async () => attempts.length > 1, 15_000); // the lease ran out and its decrement is retried
    failing = false;
    expect((await waiting).body).toMatchObject({ Data: 2 });
    expect(await counters()).toEqual([1]);
  });

  it('frees the counters of a deleted channel whose decrement failed, once sent again', async () => {
    const { q } = await blockedQueue();
    const waiting = q.dequeue({ Wait: '20s', Query: { Where: { job: 3 } } });
    await q.enqueue({ KeyValues: { team: 'a', job: 3 }, Data: 3 }).expect(201);
    loseAnswers = 1;
    await sut.http().delete('/v1/queues/ci/channels').send({ KeyValues: { team: 'a', job: 1 } }).expect(204);
    expect((await waiting).body).toMatchObject({ Data: 3 });
    await waitUntil(async () => !(await countersDown()), 10_000);
    expect(await counters()).toEqual([1]);
  });
});
