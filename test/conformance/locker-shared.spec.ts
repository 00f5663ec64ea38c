import { performance } from 'node:perf_hooks';
import { systemClock } from '../../src/common/clock';
import { systemScheduler } from '../../src/common/scheduler';
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

/** Whether `promise` is still pending after `ms`. */
async function stillPending(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, sleep(ms).then(() => pending)])) === pending;
}

// Several LockerService instances, each on its own pool, over one schema: what several Willow processes are.
describePostgres('Locker shared by several instances', (url) => {
  let schema: string;
  let instances: Instance[];
  const start = async (): Promise<Instance> => {
    const storage = await openPostgresStorage(url, schema);
    const sut = new LockerService(await PostgresLockerStore.open(storage), systemClock, new ShutdownSignal(), systemScheduler, { timing: DEFAULT_TIMING });
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

  it('wakes a waiter on A promptly when the lock is released on B', async () => {
    const [a, b] = [await start(), await start()];
    const figures: number[] = [];
    for (let round = 0; round < 5; round++) {
      const held = await acquire(b);
      const waiting = acquire(a);
      await waitersSeen(b, 1);
      const t0 = performance.now();
      await release(b, held);
      const grant = await waiting;
      figures.push(performance.now() - t0);
      await release(a, grant);
    }
    console.log(`cross-instance wake-up after a release, ms: ${figures.map((f) => f.toFixed(1)).join(', ')}`);
    expect(Math.max(...figures)).toBeLessThan(1_000);
  });

  it('expires a lock held by a crashed instance after its lease and hands it to a waiter elsewhere', async () => {
    const [a, crashed] = [await start(), await start()];
    const held = await acquire(crashed, { timeoutMs: 1_500 });
    const waiting = acquire(a, { waitMs: 20_000 });
    await waitersSeen(a, 1);
    await crash(crashed);
    const grant = await waiting;
    const handedAt = Date.now();
    expect(grant).not.toBeNull();
    expect(handedAt).toBeGreaterThanOrEqual(Date.parse(held!.expiresAt));
    expect(handedAt).toBeLessThan(Date.parse(held!.expiresAt) + 5_000);
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
    const releasedAt = Date.now();
    await release(b, held);
    expect(await stillPending(waiting, 1_000)).toBe(true);
    expect(await waiting).not.toBeNull();
    const waitedMs = Date.now() - releasedAt;
    expect(waitedMs).toBeLessThan(INSTANCE_TTL_MS + 3 * INSTANCE_BEAT_MS);
    await lost;
  }, 30_000);

  it('renews a lease on another instance than the one that granted it, past the first expiry', async () => {
    const [a, b, c] = [await start(), await start(), await start()];
    const grant = await acquire(a, { timeoutMs: 1_000 });
    const until = Date.now() + 2_500;
    while (Date.now() < until) {
      await b.sut.heartbeat({ lockId: grant!.lockId, sessionId: grant!.sessionId });
      await sleep(300);
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
