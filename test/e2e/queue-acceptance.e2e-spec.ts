import { FakeScheduler } from '../../src/common/fake-scheduler';
import { parked, QueueClient, sleep, waitUntil } from '../support/queue-client';
import { createTestApp, type TestApp } from '../support/test-app';

type KeyValues = Record<string, string | number | boolean>;

jest.setTimeout(30_000);

/** End-to-end stories over HTTP: the queue, its running counters and the Limiter's rules working together. */
describe('Willow queue acceptance', () => {
  let sut: TestApp;
  /** The app's clock and timers: leases run out and waits end only when a test advances it, so a waiter that
   * answers while time stands still was woken by an event, not found by a poll. */
  let time: FakeScheduler;
  beforeEach(async () => {
    time = new FakeScheduler();
    sut = await createTestApp({}, { time });
  });
  afterEach(() => sut.close());

  const rule = (Name: string, GroupBy: string[], Limit: number) => sut.http().post('/v1/limiter/rules').send({ Name, GroupBy, Limit }).expect(201);
  const override = (ruleName: string, Name: string, KeyValues: KeyValues, Limit: number) =>
    sut.http().post(`/v1/limiter/rules/${encodeURIComponent(ruleName)}/overrides`).send({ Name, KeyValues, Limit }).expect(201);
  const counters = async () => (await sut.http().get('/v1/limiter/counters').expect(200)).body as Array<{ KeyValues: KeyValues; Counters: number }>;

  describe('the CI story of the original documents', () => {
    const ci = () => new QueueClient(sut, 'ci');
    const build = (repo: string, branch: string, extra: KeyValues = {}) => ({ repo_name: repo, branch_name: branch, ...extra });

    beforeEach(async () => {
      await rule('limit_cicd_branch_builds', ['repo_name', 'branch_name'], 1);
      await override('limit_cicd_branch_builds', 'willow_main', { repo_name: 'willow', branch_name: 'main' }, 9001);
      await rule('limit_ios_concurrent_builds', ['ios_required'], 4);
      await ci().create().expect(201);
    });

    it('collapses three commits to one branch into one build of the newest', async () => {
      const q = ci();
      const first = await q.enqueue({ KeyValues: build('willow', 'feature/a'), Data: { commit: 'c1' } }).expect(201);
      for (const commit of ['c2', 'c3']) {
        const res = await q.enqueue({ KeyValues: build('willow', 'feature/a'), Data: { commit } }).expect(200);
        expect(res.body).toEqual({ ID: first.body.ID, Collapsed: true });
      }
      expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 1, Processing: 0, Channels: 1 });
      const got = await q.dequeue();
      expect(got.body).toMatchObject({ ID: first.body.ID, KeyValues: build('willow', 'feature/a'), Data: { commit: 'c3' }, Attempt: 1 });
      expect((await q.dequeue()).status).toBe(204);
    });

    it('builds two branches of one repo in parallel while a second build of the same branch waits, then starts it after the ack', async () => {
      const q = ci();
      await q.enqueue({ KeyValues: build('willow', 'feature/a'), Data: 'a1' }).expect(201);
      await q.enqueue({ KeyValues: build('willow', 'feature/b'), Data: 'b1' }).expect(201);
      const a1 = await q.dequeue();
      const b1 = await q.dequeue();
      expect([a1.body.Data, b1.body.Data]).toEqual(['a1', 'b1']);

      // A new commit to feature/a cannot collapse into the running build: it is a second build of that branch.
      await q.enqueue({ KeyValues: build('willow', 'feature/a'), Data: 'a2' }).expect(201);
      expect((await q.dequeue({ Wait: 0 })).status).toBe(204);
      const channels = await q.channels().expect(200);
      expect(channels.body).toEqual([
        {
          KeyValues: build('willow', 'feature/a'),
          Waiting: 1,
          Processing: 1,
          Scheduled: 0,
          BlockedBy: { Rule: 'limit_cicd_branch_builds', Limit: 1, Count: 1 },
        },
        { KeyValues: build('willow', 'feature/b'), Waiting: 0, Processing: 1, Scheduled: 0 },
      ]);

      const next = await parked(time, () => q.dequeue({ Wait: '30s' }));
      await q.ack(a1.body.ID, { Passed: true, Attempt: 1 }).expect(200);
      const a2 = await next.answer; // woken by the counter going down: time stood still, so no poll found it
      expect(a2.status).toBe(200);
      expect(a2.body.Data).toBe('a2');
      expect((await q.channels()).body.every((c: { BlockedBy?: unknown }) => c.BlockedBy === undefined)).toBe(true);
    });

    it('builds main many times at once through the override', async () => {
      const q = ci();
      const items = Array.from({ length: 20 }, (_, i) => ({ KeyValues: build('willow', 'main'), Data: i, Updateable: false }));
      await q.enqueueBatch(items).expect(200);
      // Twenty runners ask at once, without waiting: one channel serves as many concurrent dequeues as it has items.
      const got = await Promise.all(Array.from({ length: 20 }, () => q.dequeue({ Wait: 0, Query: { Where: { branch_name: 'main' } } })));
      expect(got.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(got.map((r) => r.body.ID)).size).toBe(20);
      expect(got.map((r) => r.body.Data).sort((a, b) => a - b)).toEqual(items.map((i) => i.Data));
      expect(await counters()).toEqual([{ KeyValues: { ...build('willow', 'main'), _willow_queue: 'ci' }, Counters: 20 }]);
      // The same branch name in another repo has no override: one at a time.
      await q.enqueue({ KeyValues: build('other', 'main'), Data: 'o1', Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: build('other', 'main'), Data: 'o2' }).expect(201);
      expect((await q.dequeue()).body.Data).toBe('o1');
      expect((await q.dequeue()).status).toBe(204);
      expect((await q.info()).body).toMatchObject({ Waiting: 1, Processing: 21 });
    });

    it('caps iOS builds at 4 across repos and starts the next one after an ack', async () => {
      const q = ci();
      const ios = (repo: string) => build(repo, 'release', { ios_required: true });
      for (const repo of ['app1', 'app2', 'app3', 'app4', 'app5']) await q.enqueue({ KeyValues: ios(repo), Data: repo }).expect(201);
      await q.enqueue({ KeyValues: build('web', 'release'), Data: 'web' }).expect(201);
      const running = [];
      for (let i = 0; i < 4; i++) running.push(await q.dequeue({ Wait: 0, Query: { Where: { ios_required: true } } }));
      expect(running.map((r) => r.body.Data)).toEqual(['app1', 'app2', 'app3', 'app4']);
      expect((await q.dequeue({ Wait: 0, Query: { Where: { ios_required: true } } })).status).toBe(204);
      const app5 = (await q.channels()).body.find((c: { KeyValues: KeyValues }) => c.KeyValues.repo_name === 'app5');
      expect(app5).toEqual({ KeyValues: ios('app5'), Waiting: 1, Processing: 0, Scheduled: 0, BlockedBy: { Rule: 'limit_ios_concurrent_builds', Limit: 4, Count: 4 } });
      // Builds that need no iOS machine are not held up by the iOS limit.
      expect((await q.dequeue({ Wait: 0 })).body.Data).toBe('web');

      const next = await parked(time, () => q.dequeue({ Wait: '30s', Query: { Where: { ios_required: true } } }));
      await q.ack(running[2].body.ID, { Passed: true }).expect(200);
      const fifth = await next.answer;
      expect(fifth.body).toMatchObject({ Data: 'app5', Attempt: 1 });
      const iosCounters = (await counters()).filter((c) => c.KeyValues.ios_required === true);
      expect(iosCounters.map((c) => c.KeyValues.repo_name).sort()).toEqual(['app1', 'app2', 'app4', 'app5']);
    });
  });

  describe('many producers and consumers', () => {
    it.each([
      ['without limits', null],
      ['with a rule capping the queue at 5 processing', 5],
    ])('delivers each of 300 concurrent enqueues exactly once to 10 consumers over 50 channels (%s)', async (_label, cap) => {
      const q = new QueueClient(sut, 'load');
      await q.create().expect(201);
      if (cap !== null) await rule('queue_cap', ['_willow_queue'], cap);
      const TOTAL = 300;
      const delivered = new Map<string, unknown>();
      const duplicates: string[] = [];
      let acked = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      const deadline = Date.now() + 30_000;

      const consumer = async () => {
        while (acked < TOTAL && Date.now() < deadline) {
          const got = await q.dequeue({ Wait: '1s' });
          if (got.status === 204) continue;
          expect(got.status).toBe(200);
          // Counted from the answer until before the ack is sent: within the time the server counts it as running.
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          if (delivered.has(got.body.ID)) duplicates.push(got.body.ID);
          delivered.set(got.body.ID, got.body.Data);
          await sleep(10 + Math.random() * 20); // the work
          inFlight--;
          await q.ack(got.body.ID, { Passed: true, Attempt: got.body.Attempt }).expect(200);
          acked++;
        }
      };
      const consumers = Array.from({ length: 10 }, consumer);
      const enqueued = await Promise.all(
        Array.from({ length: TOTAL }, async (_, n) => {
          const res = await q.enqueue({ KeyValues: { channel: n % 50 }, Data: { n }, Updateable: false });
          expect(res.status).toBe(201);
          return [res.body.ID as string, { n }] as const;
        }),
      );
      // Time stands still: every delivery after the first look was a wake-up. Then the waits left end with 204.
      await waitUntil(async () => acked === TOTAL, 30_000);
      await time.advance(1_000);
      await Promise.all(consumers);

      expect(duplicates).toEqual([]);
      expect(new Map(enqueued)).toEqual(delivered);
      expect(acked).toBe(TOTAL);
      if (cap !== null) expect(maxInFlight).toBeLessThanOrEqual(cap);
      expect(await counters()).toEqual([]);
      expect((await q.info()).body).toEqual({ Name: 'load', MaxItems: -1, Paused: false, Waiting: 0, Scheduled: 0, Processing: 0, Channels: 0 });
      expect((await q.dequeue({ Wait: 0 })).status).toBe(204);
    });
  });

  describe('limit changes and deletes', () => {
    it('resumes a blocked channel at once when its limit is raised', async () => {
      const q = new QueueClient(sut, 'jobs');
      await q.create().expect(201);
      await rule('one_deploy', ['job'], 1);
      await q.enqueue({ KeyValues: { job: 'x' }, Data: 1, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: { job: 'x' }, Data: 2 }).expect(201);
      expect((await q.dequeue()).body.Data).toBe(1);
      const waiting = await parked(time, () => q.dequeue({ Wait: '30s' }));
      await sut.http().put('/v1/limiter/rules/one_deploy').send({ Limit: 2 }).expect(200);
      expect((await waiting.answer).body.Data).toBe(2);
    });

    it('frees the running counters of processing items when their queue is deleted', async () => {
      const q = new QueueClient(sut, 'jobs');
      await q.create().expect(201);
      await rule('one_deploy', ['job'], 1);
      await q.enqueue({ KeyValues: { job: 'x' }, Data: 1 }).expect(201);
      await q.dequeue().then((r) => expect(r.status).toBe(200));
      expect(await counters()).toHaveLength(1);
      await q.remove().expect(204);
      expect(await counters()).toEqual([]);
      // The same tags in a new queue of the same name are not held back by the deleted one.
      await q.create().expect(201);
      await q.enqueue({ KeyValues: { job: 'x' }, Data: 2 }).expect(201);
      expect((await q.dequeue()).body).toMatchObject({ Data: 2, Attempt: 1 });
    });
  });

  describe('lease expiry under a limit', () => {
    const job = { job: 'deploy' };
    const running = (n: number) => [{ KeyValues: { ...job, _willow_queue: 'jobs' }, Counters: n }];

    it.each([
      ['dead-lettered (RetryAttempts 0): the next item', 0, 'second'],
      ['retried at the front (RetryAttempts 1): the same item again', 1, 'first'],
    ])('frees the counter once when a lease runs out and the item is %s is delivered', async (_label, retryAttempts, next) => {
      const q = new QueueClient(sut, 'jobs');
      await q.create().expect(201);
      await rule('one_deploy', ['job'], 1);
      await q.enqueue({ KeyValues: job, Data: 'first', Timeout: '200ms', RetryAttempts: retryAttempts, Updateable: false }).expect(201);
      await q.enqueue({ KeyValues: job, Data: 'second', Timeout: '30s', Updateable: false }).expect(201);
      const first = await q.dequeue();
      expect(first.body).toMatchObject({ Data: 'first', Attempt: 1 });
      expect(await counters()).toEqual(running(1));
      expect((await q.dequeue({ Wait: 0 })).status).toBe(204);

      const waiting = await parked(time, () => q.dequeue({ Wait: '10s' }));
      await time.advance(199);
      expect(await counters()).toEqual(running(1));
      await time.advance(1); // the lease runs out: its expiry wakes the waiter
      const got = await waiting.answer;
      expect(got.status).toBe(200);
      expect(got.body.Data).toBe(next);
      if (next === 'first') expect(got.body).toMatchObject({ ID: first.body.ID, Attempt: 2 });

      // Exactly one counter is held: the expired delivery gave its place back once (not 0, not 2).
      expect(await counters()).toEqual(running(1));
      expect((await q.info()).body).toMatchObject({ Processing: 1, Waiting: retryAttempts });
      const stale = await q.ack(first.body.ID, { Passed: true, Attempt: 1 });
      expect(stale.status).toBe(409);
      expect(stale.body.Code).toBe('LEASE_LOST');
      expect(await counters()).toEqual(running(1));
      const dead = (await q.deadLetters()).body;
      expect(dead).toEqual(retryAttempts === 0 ? [expect.objectContaining({ ID: first.body.ID, Attempts: 1, Reason: 'lease expired' })] : []);

      await q.ack(got.body.ID, { Passed: true, Attempt: got.body.Attempt }).expect(200);
      if (next === 'first') {
        const last = await q.dequeue({ Wait: '5s' });
        expect(last.body.Data).toBe('second');
        await q.ack(last.body.ID).expect(200);
      }
      expect(await counters()).toEqual([]);
      expect((await q.info()).body).toMatchObject({ Waiting: 0, Processing: 0 });
    });
  });
});
