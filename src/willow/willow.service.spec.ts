import { Subject } from 'rxjs';
import { FakeScheduler } from '../common/fake-scheduler';
import { MATCH_ALL } from '../common/query';
import { canonicalTags, type Tags } from '../common/tags';
import { parseConfig } from '../config';
import type { CapacityFreed, CounterChange, IncrementResult, LimiterPort } from '../limiter';
import { ShutdownSignal } from '../platform/lifecycle/shutdown-signal';
import { EmbeddedStorage } from '../platform/storage/sqlite/embedded-storage';
import { CounterReconciler } from './leases/counter-reconciler';
import { Dispatcher } from './dispatch/dispatcher';
import { Gate } from './dispatch/gate';
import { IndexSync } from './dispatch/index-sync';
import { CounterFence } from './leases/counter-fence';
import { LeaseKeeper } from './leases/lease-keeper';
import { QueueAdminService } from './queue-admin.service';
import { SqliteWillowStore } from './store/sqlite-willow.store';
import type { NewItem } from './willow.port';
import { WillowService } from './willow.service';

/** A Limiter without rules whose next tryIncrement can be held, to interleave other calls with a dequeue. */
class FakeLimiter implements LimiterPort {
  readonly counters = new Map<string, number>();
  readonly capacityFreed$ = new Subject<CapacityFreed>();
  /** How many changes each Limiter call carried, by method. */
  readonly calls: Record<string, number[]> = {};
  /** The tag sets tryIncrementMany and decrementMany were sent, and those they answered with (fresh frozen copies, as
   * the Limiter's are), in order. */
  readonly sent: Tags[] = [];
  readonly answered: Tags[] = [];
  /** Answer with plain, unfrozen copies, as a Limiter over a transport does. */
  plainAnswers = false;
  private hold: { reached: () => void; release: Promise<void> } | null = null;

  /** Holds the next tryIncrement; resolves `reached` when it is held and returns the function that lets it go on. */
  holdNext(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    this.hold = { reached, release: new Promise<void>((r) => (release = r)) };
    return { reached: reachedP, release };
  }

  async tryIncrement(cmd: CounterChange): Promise<IncrementResult> {
    const hold = this.hold;
    this.hold = null;
    if (hold) {
      hold.reached();
      await hold.release;
    }
    const key = canonicalTags(cmd.tags);
    this.counters.set(key, (this.counters.get(key) ?? 0) + cmd.counters);
    return { allowed: true, tags: cmd.tags, counters: this.counters.get(key)! };
  }

  async decrement(cmd: CounterChange) {
    const key = canonicalTags(cmd.tags);
    const left = Math.max(0, (this.counters.get(key) ?? 0) - cmd.counters);
    if (left === 0) this.counters.delete(key);
    else this.counters.set(key, left);
    this.capacityFreed$.next({ tags: cmd.tags });
    return { tags: cmd.tags, counters: left };
  }
  async tryIncrementMany(cmds: readonly CounterChange[]): Promise<IncrementResult[]> {
    (this.calls.tryIncrementMany ??= []).push(cmds.length);
    const hold = this.hold;
    this.hold = null;
    if (hold) {
      hold.reached();
      await hold.release;
    }
    return cmds.map((cmd) => {
      const key = canonicalTags(cmd.tags);
      this.counters.set(key, (this.counters.get(key) ?? 0) + cmd.counters);
      return { allowed: true as const, tags: this.answer(cmd.tags), counters: this.counters.get(key)! };
    });
  }

  async decrementMany(cmds: readonly CounterChange[]) {
    (this.calls.decrementMany ??= []).push(cmds.length);
    const values = await Promise.all(cmds.map((cmd) => this.decrement(cmd)));
    return values.map((value, i) => ({ ...value, tags: this.answer(cmds[i].tags) }));
  }

  private answer(tags: Tags): Tags {
    this.sent.push(tags);
    const copy = this.plainAnswers ? { ...tags } : Object.freeze({ ...tags });
    this.answered.push(copy);
    return copy;
  }


  set(): never {
    throw new Error('not used');
  }
  explain(): never {
    throw new Error('not used');
  }
  listCounters(): never {
    throw new Error('not used');
  }
}

describe(WillowService.name, () => {
  let storage: EmbeddedStorage;
  let limiter: FakeLimiter;
  let sut: WillowService;
  let admin: QueueAdminService;
  beforeEach(async () => {
    storage = new EmbeddedStorage({ dataDir: ':memory:', sync: 'full' });
    const store = new SqliteWillowStore(storage);
    const time = new FakeScheduler();
    const clock = time.clock;
    const config = parseConfig({ WILLOW_DATA_DIR: ':memory:' });
    const shutdown = new ShutdownSignal(time, config);
    const dispatcher = new Dispatcher(shutdown, time, time.clock);
    limiter = new FakeLimiter();
    const sync = new IndexSync(store, dispatcher, time, config);
    const counters = new CounterReconciler(limiter, dispatcher, sync, time, config);
    const leases = new LeaseKeeper(store, counters, new CounterFence(storage, store, counters, time, clock, config), clock, sync, time, config);
    const gate = new Gate(store, limiter, clock, dispatcher, leases, counters, sync);
    sut = new WillowService(store, limiter, clock, config, dispatcher, gate, leases, sync, shutdown);
    admin = new QueueAdminService(store, clock, dispatcher, counters, sync);
    await admin.createQueue({ name: 'q', maxItems: -1 });
  });
  afterEach(() => storage.close());

  const item = (tags: Tags, data: unknown): NewItem => ({ tags, data, updateable: false, retryAttempts: 0, retryPosition: 'front', timeoutMs: 60_000 });
  const channels = async () => (await admin.listChannels('q', MATCH_ALL, { limit: 100, cursor: null })).items;

  it('judges items from an in-process or RPC caller with the enqueue parser, naming the HTTP path', async () => {
    const bad = { ...item({ a: 1 }, 1), retryPosition: 'middle' } as unknown as NewItem;
    await expect(sut.enqueue('q', [bad])).rejects.toMatchObject({ code: 'INVALID_INPUT', path: 'RetryPosition' });
    await expect(sut.enqueue('q', [item({ a: 1 }, 1), item({ _a: 1 }, 1)])).rejects.toMatchObject({ code: 'INVALID_INPUT', path: 'Items[1].KeyValues._a' });
    await expect(sut.enqueue('q', [])).rejects.toMatchObject({ code: 'INVALID_INPUT', path: 'Items' });
    await expect(sut.enqueue('q', [item({ a: 1 }, 1), item({ a: 1 }, 'x'.repeat(2_000_000))])).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/^Items\[1\]\.Data \(/),
    });
    expect(await channels()).toEqual([]);
  });

  it('keeps one channel per tag set when the channel is deleted and refilled while a dequeue passes the limiter', async () => {
    const tags = { c: 1 };
    await sut.enqueue('q', [item(tags, 'old')]);
    const held = limiter.holdNext();
    const dequeue = sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 1 });
    await held.reached;
    // While the dequeue has reserved the channel and waits on the Limiter: delete the channel, and fill it again.
    await admin.deleteChannel('q', tags);
    await sut.enqueue('q', [item(tags, 'new')]);
    held.release();
    const [delivery] = await dequeue;
    expect(delivery).toMatchObject({ dataJson: '"new"', attempt: 1 });

    expect(await channels()).toEqual([{ tags, waiting: 0, processing: 1, scheduled: 0, nextDueAt: null, blockedBy: null }]);
    expect(await admin.getQueue('q')).toMatchObject({ waiting: 0, processing: 1, channels: 1 });
    await sut.ack('q', [{ id: delivery.id, passed: true, attempt: 1 }]);
    expect(await channels()).toEqual([]);
    expect(await admin.getQueue('q')).toMatchObject({ waiting: 0, processing: 0, channels: 0 });
    expect(await sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 1 })).toEqual([]);
    expect(limiter.counters.size).toBe(0);
  });

  it('forgets a channel deleted while a dequeue passes the limiter, and frees that counter', async () => {
    const tags = { c: 1 };
    await sut.enqueue('q', [item(tags, 'old')]);
    const held = limiter.holdNext();
    const dequeue = sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 1 });
    await held.reached;
    await admin.deleteChannel('q', tags);
    held.release();
    expect(await dequeue).toEqual([]);
    expect(await channels()).toEqual([]);
    expect(await admin.getQueue('q')).toMatchObject({ waiting: 0, processing: 0, channels: 0 });
    expect(limiter.counters.size).toBe(0);
  });

  it('passes a dequeue batch over 40 channels through the Limiter in one call, and its ack batch in one call', async () => {
    await sut.enqueue('q', Array.from({ length: 40 }, (_, i) => item({ c: i }, i)));
    const batch = await sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 40 });
    expect(batch.map((d) => JSON.parse(d.dataJson) as unknown)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(limiter.calls.tryIncrementMany).toEqual([40]);
    await sut.ack('q', batch.map((d) => ({ id: d.id, passed: true, attempt: d.attempt })));
    expect(limiter.calls.decrementMany).toEqual([40]);
    expect(limiter.counters.size).toBe(0);
  });

  it("sends a channel's running-counter tags as the Limiter last answered with them, not a new set each time", async () => {
    await sut.enqueue('q', [item({ c: 1 }, 1), item({ c: 1 }, 2)]);
    const [first] = await sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 1 });
    await sut.ack('q', [{ id: first.id, passed: true, attempt: 1 }]);
    const [second] = await sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 1 });
    await sut.ack('q', [{ id: second.id, passed: true, attempt: 1 }]);
    const { sent, answered } = limiter;
    expect(sent).toHaveLength(4); // increment, decrement, increment, decrement
    expect(sent[0]).toEqual({ c: 1, _willow_queue: 'q' });
    // Which answer each call sent: the first increment a new set, every later call the set the latest increment
    // answered with (the Limiter answers with the set it was sent once it has checked it: always one object).
    expect(sent.map((tags) => answered.indexOf(tags))).toEqual([-1, 0, 0, 2]);
    expect(limiter.counters.size).toBe(0);
  });

  it('keeps no counter tags answered by a Limiter over a transport (plain objects): each call sends its own set', async () => {
    limiter.plainAnswers = true;
    await sut.enqueue('q', [item({ c: 1 }, 1), item({ c: 1 }, 2)]);
    for (let i = 0; i < 2; i++) {
      const [delivery] = await sut.dequeue({ queue: 'q', query: MATCH_ALL, waitMs: 0, count: 1 });
      await sut.ack('q', [{ id: delivery.id, passed: true, attempt: 1 }]);
    }
    expect(limiter.sent.map((tags) => limiter.answered.indexOf(tags))).toEqual([-1, -1, -1, -1]);
    expect(limiter.sent.every((tags) => Object.isFrozen(tags))).toBe(true);
    expect(limiter.counters.size).toBe(0);
  });
});
