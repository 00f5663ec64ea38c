import type { FakeScheduler } from '../../src/common/fake-scheduler';
import { parked, QueueClient, waitUntil } from './queue-client';
import type { TestApp } from './test-app';

/** The ids a run of the scripted workload produced. */
export interface WorkloadIds {
  readonly a: string;
  readonly c: string;
  readonly e: string;
  readonly f: string;
  readonly g: string;
  readonly h: string;
  readonly i: string;
  readonly locks: readonly string[];
}

export const TAGS = {
  a: { branch: 'main', os: 'linux' },
  c: { branch: 'dev' },
  e: { branch: 'main', os: 'mac' },
} as const;

/**
 * One scripted workload on queue `builds` (plus one item on `other` and two locks), on an app whose time is `time`:
 * enqueues with one collapse, a limiter refusal that blocks a channel until an ack frees it, a passed and a failed
 * ack (dead letter), a lease that runs out (dead letter), a pause and resume, a cancel, and a lock waited for.
 * It ends with one item scheduled, one processing and one waiting, and one lock held. `whileLockWaits` runs while
 * the second acquire waits for the first lock.
 */
export async function runWorkload(sut: TestApp, time: FakeScheduler, whileLockWaits?: () => Promise<void>): Promise<WorkloadIds> {
  const q = new QueueClient(sut, 'builds');
  await sut.http().post('/v1/limiter/rules').send({ Name: 'one_per_branch', GroupBy: ['branch'], Limit: 1 }).expect(201);
  const a = (await q.enqueue({ KeyValues: TAGS.a, Data: 1 }).expect(201)).body.ID as string;
  expect((await q.enqueue({ KeyValues: TAGS.a, Data: 2 }).expect(200)).body).toEqual({ ID: a, Collapsed: true });
  const c = (await q.enqueue({ KeyValues: TAGS.c, Data: 3 }).expect(201)).body.ID as string;
  const e = (await q.enqueue({ KeyValues: TAGS.e, Data: 4, Timeout: '5s' }).expect(201)).body.ID as string;
  await new QueueClient(sut, 'other').enqueue({ KeyValues: { branch: 'x' }, Data: 0 }).expect(201);
  await time.advance(2_000);

  expect((await q.dequeue({ Wait: 0 })).body.ID).toBe(a);
  expect((await q.dequeue({ Wait: 0 })).body.ID).toBe(c);
  expect((await q.dequeue({ Wait: 0 })).status).toBe(204); // e: its branch holds one running item already
  await q.ack(a, { Passed: true, Attempt: 1 }).expect(200);
  await q.ack(c, { Passed: false, Attempt: 1, Error: 'exit 2' }).expect(200);
  expect((await q.dequeue({ Wait: 0 })).body.ID).toBe(e);
  await time.advance(5_000);
  await waitUntil(async () => (await sut.http().get('/v1/queues/builds/dead-letters')).body.length === 2);

  await sut.http().put('/v1/queues/builds').send({ Paused: true }).expect(200);
  await sut.http().put('/v1/queues/builds').send({ Paused: true }).expect(200); // no change: no event
  await sut.http().put('/v1/queues/builds').send({ Paused: false }).expect(200);
  const f = (await q.enqueue({ KeyValues: { branch: 'z' }, Data: 5 }).expect(201)).body.ID as string;
  await sut.http().delete(`/v1/queues/builds/items/${f}`).expect(204);
  const g = (await q.enqueue({ KeyValues: { branch: 'w' }, Data: 6, Delay: '1h' }).expect(201)).body.ID as string;
  const h = (await q.enqueue({ KeyValues: { branch: 'v' }, Data: 7 }).expect(201)).body.ID as string;
  const i = (await q.enqueue({ KeyValues: { branch: 'u' }, Data: 8 }).expect(201)).body.ID as string;
  expect((await q.dequeue({ Wait: 0 })).body.ID).toBe(h);

  const lock = { KeyValues: { resource: 'db' }, Timeout: '1m' };
  const first = (await sut.http().post('/v1/locks').send({ ...lock, Wait: 0 }).expect(201)).body as { LockID: string; SessionID: string };
  const second = await parked(time, () => sut.http().post('/v1/locks').send({ ...lock, Wait: '10s' }).then((r) => r));
  await whileLockWaits?.();
  await sut.http().delete(`/v1/locks/${first.LockID}?SessionID=${first.SessionID}`).expect(204);
  const granted = await second.answer;
  expect(granted.status).toBe(201);
  return { a, c, e, f, g, h, i, locks: [first.LockID, granted.body.LockID as string] };
}
