import { FakeScheduler } from '../../src/common/fake-scheduler';
import { DEFAULT_TIMING } from '../../src/config';
import type { Tags } from '../../src/common/tags';
import type { LockGrant } from '../../src/locker/locker.port';
import { LockerService } from '../../src/locker/locker.service';
import { INSTANCE_BEAT_MS, INSTANCE_TTL_MS } from '../../src/locker/locker.store';
import { PostgresLockerStore } from '../../src/locker/store/postgres-locker.store';
import { ShutdownSignal } from '../../src/platform/lifecycle/shutdown-signal';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import { sleep, waitUntil } from '../support/wait';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage } from './support/postgres-fixture';

interface Instance {
  readonly sut: LockerService;
  readonly storage: PostgresStorage;
}

const TAGS: Tags = { job: 'shared' };

/** Whether `promise` is still pending after `ms` of real time (the instances' own time standing still). */
async function stillPending(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, sleep(ms).then(() => pending)])) === pending;
}

/**
 * Several LockerService instances, each on its own pool, over one schema: what several Willow processes are. They
 * share one FakeScheduler, so their clock and timers (beats, sweeps, leases) move only when a test moves them; the
 * store takes every instant from that clock. While time stands still, only the store's notifications wake a waiter.
 */
describePostgres('Locker shared by several instances', (url) => {
  let schema: string;
  let instances: Instance[];
  let time: FakeScheduler;
  /** Moves time in steps, giving each step's beats and sweeps real time to reach the database and come back. */
  const pass = async (ms: number, step = 250) => {
    for (let left = ms; left > 0; left -= step) {
      await time.advance(Math.min(step, left));
      await sleep(10);
    }
  };
  const start = async (): Promise<Instance> => {
    const storage = await openPostgresStorage(url, schema);
    const sut = new LockerService(await PostgresLockerStore.open(storage), time.clock, new ShutdownSignal(), time, { timing: DEFAULT_TIMING });
    await sut.onModuleInit();
    const instance = { sut, storage };
    instances.push(instance);
    return instance;
  };
  /** Stops an instance without releasing anything, as a crash would. */
  const crash = async ({ sut, storage }: Instance) => {
    await storage.close();
    sut.onApplicationShutdown();
  };
  const acquire = (on: Instance, opts: { timeoutMs?: number; waitMs?: number } = {}) =>
    on.sut.acquire({ tags: TAGS, timeoutMs: opts.timeoutMs ?? 30_000, waitMs: opts.waitMs ?? 20_000 });
  const release = (on: Instance, grant: LockGrant | null) => on.sut.release({ lockId: grant!.lockId, sessionId: grant!.sessionId });
  const waitersSeen = async (on: Instance, n: number) =>
    waitUntil(async () => ((await on.sut.list({}, { cursor: null, limit: 10 })).items[0]?.waiters ?? 0) === n);

  beforeEach(() => {
    schema = freshSchemaName();
    instances = [];
    time = new FakeScheduler();
  });
  afterEach(async () => {
    await Promise.all(instances.map(crash));
    await dropSchema(url, schema);
  });

  it('grants in arrival order across instances: first the waiter on A, then the one on B, after a release on C', async () => {
    const [a, b, c] = [await start(), await start(), await start()];
    const held = await acquire(c);
    const onA = acquire(a);
    await waitersSeen(c, 1);
    const onB = acquire(b);
    await waitersSeen(c, 2);
    await release(c, held);
    const grantA = await onA;
    expect(grantA).not.toBeNull();
    expect(await stillPending(onB)).toBe(true);
    await release(a, grantA);
    const grantB = await onB;
    expect([held!.fencingToken, grantA!.fencingToken, grantB!.fencingToken]).toEqual(
      [held!.fencingToken, grantA!.fencingToken, grantB!.fencingToken].sort((x, y) => x - y),
    );
    expect(new Set([held!.fencingToken, grantA!.fencingToken, grantB!.fencingToken]).size).toBe(3);
  });

  it('wakes a waiter on A when the lock is released on B, by the store notification alone', async () => {
    const [a, b] = [await start(), await start()];
    for (let round = 0; round < 3; round++) {
      const held = await acquire(b);
      const waiting = acquire(a);
      await waitersSeen(b, 1);
      await release(b, held); // time stands still: no beat or sweep can offer the lock, only the notification
      const grant = await waiting;
      expect(grant).not.toBeNull();
      await release(a, grant);
    }
  });

  it('expires a lock held by a crashed instance after its lease and hands it to a waiter elsewhere', async () => {
    const [a, crashed] = [await start(), await start()];
    const held = await acquire(crashed, { timeoutMs: 1_500 });
    const waiting = acquire(a, { waitMs: 20_000 });
    await waitersSeen(a, 1);
    await crash(crashed);
    await pass(1_499);
    expect(await stillPending(waiting, 50)).toBe(true);
    await pass(DEFAULT_TIMING.lockSweepMs + 1); // the lease ran out; a sweep on A expires it
    const grant = await waiting;
    expect(grant).not.toBeNull();
    expect(time.clock.now()).toBeGreaterThanOrEqual(Date.parse(held!.expiresAt));
    expect(grant!.fencingToken).toBeGreaterThan(held!.fencingToken);
  });

  it('stops holding others back with the waiters of a crashed instance once it is no longer seen', async () => {
    const [a, b, crashed] = [await start(), await start(), await start()];
    const held = await acquire(b);
    const lost = acquire(crashed, { waitMs: 60_000 }).catch((error: unknown) => error);
    await waitersSeen(b, 1);
    await crash(crashed);
    const waiting = acquire(a, { waitMs: 30_000 });
    await waitersSeen(b, 2);
    await release(b, held);
    expect(await stillPending(waiting)).toBe(true); // the crashed instance's waiter is first in line
    await pass(INSTANCE_TTL_MS - INSTANCE_BEAT_MS);
    expect(await stillPending(waiting, 50)).toBe(true); // it still counts: its instance was seen within the TTL
    await pass(3 * INSTANCE_BEAT_MS); // no longer seen: a beat removes its waiter and offers the lock
    expect(await waiting).not.toBeNull();
    await lost;
  });

  it('renews a lease on another instance than the one that granted it, past the first expiry', async () => {
    const [a, b, c] = [await start(), await start(), await start()];
    const grant = await acquire(a, { timeoutMs: 1_000 });
    for (let beat = 0; beat < 8; beat++) {
      await b.sut.heartbeat({ lockId: grant!.lockId, sessionId: grant!.sessionId });
      await pass(300, 100);
    }
    expect(await acquire(c, { waitMs: 0 })).toBeNull();
    await release(c, grant);
    expect(await acquire(c, { waitMs: 0 })).not.toBeNull();
  });

  it('raises fencing tokens strictly across instances, for grants in turn and for racing waiters', async () => {
    const all = [await start(), await start(), await start()];
    const tokens: number[] = [];
    for (let i = 0; i < 6; i++) {
      const on = all[i % 3];
      const grant = await acquire(on);
      tokens.push(grant!.fencingToken);
      await release(all[(i + 1) % 3], grant);
    }
    // Each winner releases at once (on another instance), so grants happen one after another: tokens in grant order.
    const racing = all.flatMap((on, i) => [acquire(on), acquire(on)].map(async (pending) => {
      const grant = await pending;
      tokens.push(grant!.fencingToken);
      await release(all[(i + 1) % 3], grant);
    }));
    await Promise.all(racing);
    expect(tokens).toHaveLength(12);
    expect(tokens).toEqual([...new Set(tokens)].sort((x, y) => x - y));
  });
});
