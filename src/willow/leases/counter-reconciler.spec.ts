import { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { FakeScheduler } from '../../common/fake-scheduler';
import { StorageFullError } from '../../common/errors';
import { MATCH_ALL, matches, type Query } from '../../common/query';
import { canonicalTags, decodeTags, type Tags } from '../../common/tags';
import { parseConfig } from '../../config';
import type { CapacityFreed, CounterChange, CounterValue, IncrementResult, LimiterPort } from '../../limiter';
import { ShutdownSignal } from '../../platform/lifecycle/shutdown-signal';
import { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import { CounterReconciler } from './counter-reconciler';
import { Dispatcher } from '../dispatch/dispatcher';
import { Gate } from '../dispatch/gate';
import { IndexSync } from '../dispatch/index-sync';
import { CounterFence } from './counter-fence';
import { LeaseKeeper } from './lease-keeper';
import { SqliteWillowStore } from '../store/sqlite-willow.store';
import type { NewItem } from '../willow.port';
import { WillowService } from '../willow.service';

/** A Limiter without rules: its next decrements can fail, and its next increment can be held after it counted. */
class FakeLimiter implements LimiterPort {
  readonly counters = new Map<string, number>();
  readonly capacityFreed$ = new Subject<CapacityFreed>();
  failDecrements = 0;
  listed = 0;
  private hold: Promise<void> | null = null;

  holdNextIncrement(): () => void {
    let release!: () => void;
    this.hold = new Promise<void>((r) => (release = r));
    return release;
  }

  async tryIncrement(cmd: CounterChange): Promise<IncrementResult> {
    const counters = this.write(cmd.tags, (n) => n + cmd.counters);
    const hold = this.hold;
    this.hold = null;
    if (hold) await hold;
    return { allowed: true, tags: cmd.tags, counters };
  }

  async decrement(cmd: CounterChange): Promise<CounterValue> {
    if (this.failDecrements > 0 && this.failDecrements--) throw new StorageFullError();
    return { tags: cmd.tags, counters: this.write(cmd.tags, (n) => Math.max(0, n - cmd.counters)) };
  }

  async tryIncrementMany(cmds: readonly CounterChange[]): Promise<IncrementResult[]> {
    const counted = cmds.map((cmd) => this.write(cmd.tags, (n) => n + cmd.counters));
    const hold = this.hold;
    this.hold = null;
    if (hold) await hold;
    return cmds.map((cmd, i) => ({ allowed: true, tags: cmd.tags, counters: counted[i] }));
  }

  /** All or nothing, as in one transaction. */
  async decrementMany(cmds: readonly CounterChange[]): Promise<CounterValue[]> {
    if (this.failDecrements > 0 && this.failDecrements--) throw new StorageFullError();
    return cmds.map((cmd) => ({ tags: cmd.tags, counters: this.write(cmd.tags, (n) => Math.max(0, n - cmd.counters)) }));
  }

  async set(cmd: { tags: Tags; counters: number }): Promise<CounterValue> {
    return { tags: cmd.tags, counters: this.write(cmd.tags, () => cmd.counters) };
  }

  async listCounters(query: Query) {
    this.listed++;
    const items = [...this.counters].map(([key, counters]) => ({ tags: decodeTags(key), counters })).filter((c) => matches(query, c.tags));
    return { items, nextCursor: null };
  }

  explain(): never {
    throw new Error('not used');
  }

  of(tags: Tags): number {
    return this.counters.get(canonicalTags({ ...tags, _willow_queue: 'q' })) ?? 0;
  }

  private write(tags: Tags, next: (n: number) => number): number {
    const key = canonicalTags(tags);
    const before = this.counters.get(key) ?? 0;
    const after = next(before);
    if (after > 0) this.counters.set(key, after);
    else this.counters.delete(key);
    if (after < before) this.capacityFreed$.next({ tags });
    return after;
  }
}

describe(CounterReconciler.name, () => {
  beforeAll(() => Logger.overrideLogger(false)); // the failures injected here are logged as errors
  let storage: EmbeddedStorage;
  let limiter: FakeLimiter;
  let counters: CounterReconciler;
  let sut: WillowService;
  let time: FakeScheduler;
  beforeEach(async () => {
    storage = new EmbeddedStorage({ dataDir: ':memory:', sync: 'full' });
    const store = new SqliteWillowStore(storage);
    time = new FakeScheduler();
    const clock = time.clock;
    const config = parseConfig({ WILLOW_DATA_DIR: ':memory:' });
    const shutdown = new ShutdownSignal(time, config);
    const dispatcher = new Dispatcher(shutdown, time, time.clock);
    limiter = new FakeLimiter();
    const sync = new IndexSync(store, dispatcher, time, config);
    counters = new CounterReconciler(limiter, dispatcher, sync, time, config);
    const leases = new LeaseKeeper(store, counters, new CounterFence(storage, store, counters, time, clock, config), clock, sync, time, config);
    const gate = new Gate(store, limiter, clock, dispatcher, leases, counters, sync);
    sut = new WillowService(store, limiter, clock, config, dispatcher, gate, leases, sync, shutdown);
    await store.createQueue('q', -1, clock.now());
    await sut.onModuleInit();
  });
  afterEach(() => {
    counters.onApplicationShutdown();
    storage.close();
  });

  const item = (tags: Tags): NewItem => ({ tags, data: null, updateable: false, retryAttempts: 0, retryPosition: 'front', timeoutMs: 60_000 });
  const dequeue = () => sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 1 });
  const config = () => parseConfig({}).timing;
  /** Lets the reconciler's backoff run out, delay after delay, until `check` holds (ten of the longest delays at most). */
  const retriesUntil = async (check: () => boolean) => {
    for (let i = 0; i < 10 && !check(); i++) await time.advance(config().retryMaxMs);
    expect(check()).toBe(true);
  };

  it('re-sets a counter whose decrement failed on a give-back, once the limiter answers', async () => {
    await sut.enqueue('q', [item({ c: 'x' })]);
    const [delivery] = await dequeue();
    limiter.failDecrements = 2; // the give-back's decrement, then the first reconciliation (nothing to set: ok)
    await sut.giveBack('q', [delivery]);
    expect(limiter.of({ c: 'x' })).toBe(1);
    await time.advance(0);
    expect(limiter.of({ c: 'x' })).toBe(1); // nothing happens until the backoff's first delay has passed
    await retriesUntil(() => limiter.of({ c: 'x' }) === 0);
    expect(await dequeue()).toEqual([expect.objectContaining({ id: delivery.id, attempt: 1 })]);
  });

  it('does not reconcile a dequeue that has counted but not yet claimed (it waits for it)', async () => {
    await sut.enqueue('q', [item({ c: 'x' }), item({ c: 'y' })]);
    const [x] = await dequeue();
    const release = limiter.holdNextIncrement();
    const y = dequeue(); // counts y, then waits before its claim
    limiter.failDecrements = 1;
    await sut.ack('q', [{ id: x.id, passed: true, attempt: 1 }]);
    // Unguarded, reconciliation would list the counters once its backoff ran out and set y's to 0 before y is claimed.
    const listed = limiter.listed;
    await time.advance(config().retryMaxMs);
    expect(limiter.listed).toBe(listed); // due, and waiting for the dequeue's guard
    release();
    expect(await y).toHaveLength(1);
    await retriesUntil(() => limiter.of({ c: 'x' }) === 0);
    expect(limiter.of({ c: 'y' })).toBe(1);
  });
});

