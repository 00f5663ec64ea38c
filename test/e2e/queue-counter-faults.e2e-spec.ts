import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageFullError } from '../../src/common/errors';
import { LIMITER_STORE, type LimiterStore } from '../../src/limiter/limiter.store';
import { QueueClient } from '../support/queue-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

jest.setTimeout(60_000);

/**
 * A running counter whose decrement fails on a storage error (DESIGN §7.4: it goes down exactly once, whatever the
 * path). The limiter's counter writes fail with STORAGE_FULL while `full` is set, as they would on a full disk, while
 * the queue's own writes go on; once space is back the counters equal the items processing again and a channel held
 * by the lost decrement resumes, without a restart.
 */
describe('Running counters through storage faults', () => {
  let dir: string;
  let sut: TestApp;
  let full: boolean;
  const failed = { decrement: 0, set: 0 };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'willow-counter-faults-'));
    sut = await createTestApp({ WILLOW_DATA_DIR: dir });
    full = false;
    failed.decrement = failed.set = 0;
    const store = sut.app.get<LimiterStore>(LIMITER_STORE);
    for (const [method, kind] of [['decrement', 'decrement'], ['decrementMany', 'decrement'], ['set', 'set']] as const) {
      const write = store[method].bind(store) as (change: unknown) => Promise<never>;
      (jest.spyOn(store, method) as jest.SpyInstance).mockImplementation((change: unknown) => {
        if (!full) return write(change);
        failed[kind]++;
        return Promise.reject(new StorageFullError());
      });
    }
    await sut.http().post('/v1/limiter/rules').send({ Name: 'one-per-team', GroupBy: ['team'], Limit: 1 }).expect(201);
  });
  afterEach(async () => {
    await sut.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const counters = async () => ((await sut.http().get('/v1/limiter/counters').expect(200)).body as Array<{ Counters: number }>).map((c) => c.Counters);
  const queue = async (name: string) => {
    const q = new QueueClient(sut, name);
    await q.create().expect(201);
    return q;
  };
  /** The disk is full while `lose` runs and stays full until reconciliation has failed too; then space is back. */
  const fullDuring = async (lose: () => Promise<unknown>) => {
    full = true;
    failed.decrement = failed.set = 0;
    await lose();
    expect(failed.decrement).toBeGreaterThan(0);
    await waitUntil(async () => failed.set > 0, 15_000);
    full = false;
  };

  it('frees the counter of a lease that expired while its decrement failed', async () => {
    const q = await queue('ci');
    await q.enqueue({ KeyValues: { team: 'a', job: 1 }, Data: 1, Timeout: '300ms' }).expect(201);
    await q.enqueue({ KeyValues: { team: 'a', job: 2 }, Data: 2 }).expect(201);
    expect((await q.dequeue()).body).toMatchObject({ Data: 1 });
    expect((await q.dequeue()).status).toBe(204); // held by the limit

    await fullDuring(() => waitUntil(async () => failed.decrement > 0, 15_000)); // the lease runs out meanwhile
    const next = await q.dequeue({ Wait: '20s' });
    expect(next.body).toMatchObject({ Data: 2 });
    expect(await counters()).toEqual([1]);
  });

  it('frees the counter of an acked item whose decrement failed', async () => {
    const q = await queue('ci');
    await q.enqueue({ KeyValues: { team: 'a', job: 1 }, Data: 1 }).expect(201);
    await q.enqueue({ KeyValues: { team: 'a', job: 2 }, Data: 2 }).expect(201);
    const first = await q.dequeue();
    await fullDuring(() => q.ack(first.body.ID).expect(200));
    const next = await q.dequeue({ Wait: '20s' });
    expect(next.body).toMatchObject({ Data: 2 });
    expect(await counters()).toEqual([1]);
  });

  it('frees the counters of a deleted channel and of a deleted queue whose decrements failed', async () => {
    const doomed = await queue('doomed');
    const q = await queue('ci');
    await doomed.enqueue({ KeyValues: { team: 'a', job: 0 }, Data: 0 }).expect(201);
    await q.enqueue({ KeyValues: { team: 'a', job: 1 }, Data: 1 }).expect(201);
    await q.enqueue({ KeyValues: { team: 'a', job: 2 }, Data: 2 }).expect(201);

    expect((await doomed.dequeue()).body).toMatchObject({ Data: 0 });
    await fullDuring(() => doomed.remove().expect(204));
    expect((await q.dequeue({ Wait: '20s' })).body).toMatchObject({ Data: 1 });

    await fullDuring(() => sut.http().delete('/v1/queues/ci/channels').send({ KeyValues: { team: 'a', job: 1 } }).expect(204));
    expect((await q.dequeue({ Wait: '20s' })).body).toMatchObject({ Data: 2 });
    expect(await counters()).toEqual([1]);
  });
});
