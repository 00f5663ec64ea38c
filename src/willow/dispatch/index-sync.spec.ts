import { FakeScheduler } from '../../common/fake-scheduler';
import { canonicalTags } from '../../common/tags';
import { DEFAULT_TIMING } from '../../config';
import { ShutdownSignal } from '../../platform/lifecycle/shutdown-signal';
import { Dispatcher } from './dispatcher';
import { IndexSync } from './index-sync';
import type { ChannelLoad, HeadLoad, WillowChange, WillowStore } from '../willow.store';
import { HEAD_COUNT_CAP } from './index-loader';
import { COUNT_PACE_MS, TAKEN_PACE_MS } from './shared-index-sync';

/** Reads held until released: `pass` waits while holding, `release` lets them go on (all, or all but the last). */
class Hold {
  private held: Array<() => void> | null = null;

  hold(): void {
    this.held = [];
  }

  release(keepLast = false): void {
    const held = this.held ?? [];
    if (!keepLast) this.held = null;
    for (const go of held.splice(0, keepLast ? held.length - 1 : held.length)) go();
  }

  async pass(): Promise<void> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
  }
}

/** A shared store (it has `watch`, no `channelHead`) whose channel reads can be held, to overlap them. */
class FakeSharedStore {
  listener: (change: WillowChange) => void = () => undefined;
  readonly waiting = new Map<string, number>();
  readonly paused = new Set<string>();
  /** Every channel read (heads and counts). */
  private readonly reads = new Hold();
  private readonly pausedReads = new Hold();
  private readonly countReads = new Hold();

  /** Holds reads of the paused flags (a reload) until `releasePausedReads`. */
  holdPausedReads(): void {
    this.pausedReads.hold();
  }

  releasePausedReads(): void {
    this.pausedReads.release();
  }

  holdReads(): void {
    this.reads.hold();
  }

  /** Lets every held read go on except the one held last. */
  releaseAllButLast(): void {
    this.reads.release(true);
  }

  releaseReads(): void {
    this.reads.release();
  }

  /** Holds count reads (channelStates) only, until `releaseCountReads`. */
  holdCountReads(): void {
    this.countReads.hold();
  }

  releaseCountReads(): void {
    this.countReads.release();
  }

  async watch(listener: (change: WillowChange) => void): Promise<void> {
    this.listener = listener;
  }

  async channelStates(queue: string, keys: readonly string[]): Promise<ChannelLoad[]> {
    const states = this.states(queue, keys);
    await this.reads.pass();
    await this.countReads.pass();
    return states;
  }

  async channelHeads(queue: string, keys: readonly string[], countUpTo: number): Promise<Map<string, HeadLoad>> {
    const heads = new Map(
      this.states(queue, keys).map((s) => [
        s.key,
        { head: { seq: s.headSeq!, priority: s.headPriority, dueAt: s.headDueAt }, waiting: Math.min(s.waiting, countUpTo) },
      ]),
    );
    await this.reads.pass();
    return heads;
  }

  async pausedQueues(queue?: string): Promise<string[]> {
    const paused = [...this.paused].filter((name) => queue === undefined || name === queue);
    await this.pausedReads.pass();
    return paused;
  }

  async loadChannels(queue?: string): Promise<ChannelLoad[]> {
    const keys = [...this.waiting.keys()].filter((id) => queue === undefined || id.startsWith(`${queue}\n`));
    return this.states(queue ?? '', keys.map((id) => id.slice(id.indexOf('\n') + 1)));
  }

  /** What the store holds now (read when the read starts, as a database snapshot is). */
  private states(queue: string, keys: readonly string[]): ChannelLoad[] {
    return keys
      .filter((key) => (this.waiting.get(`${queue}\n${key}`) ?? 0) > 0)
      .map((key) => ({ queue, key, waiting: this.waiting.get(`${queue}\n${key}`)!, processing: 0, headSeq: 1, headPriority: 0, headDueAt: null }));
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe(IndexSync.name, () => {
  let store: FakeSharedStore;
  let dispatcher: Dispatcher;
  let sut: IndexSync;
  let time: FakeScheduler;
  beforeEach(async () => {
    store = new FakeSharedStore();
    time = new FakeScheduler();
    dispatcher = new Dispatcher(new ShutdownSignal(), time, time.clock);
    sut = new IndexSync(store as unknown as WillowStore, dispatcher, time, { timing: DEFAULT_TIMING });
    await sut.start();
  });
  afterEach(() => sut.onApplicationShutdown());

  const key = (n: number) => canonicalTags({ n });
  /** Another instance announces 500 channels of queue `q<round>` (one this instance serves), one waiting item each. */
  const announce500 = async (round: number) => {
    const queue = `q${round}`;
    sut.follow(queue);
    const keys = Array.from({ length: 500 }, (_, i) => key(i));
    for (const k of keys) store.waiting.set(`${queue}\n${k}`, 1);
    store.listener({ kind: 'channels', queue, keys });
    await settle();
    return { queue, keys };
  };

  it('forgets the read order of channels once their reads are over: it stays bounded over create/delete rounds', async () => {
    for (let round = 0; round < 20; round++) {
      const { queue, keys } = await announce500(round);
      expect(dispatcher.peekIndex(queue)?.channelCount).toBe(500);
      for (const k of keys) store.waiting.delete(`${queue}\n${k}`);
      store.listener({ kind: 'queue_deleted', queue });
    }
    expect(sut.trackedChannels).toBe(0);
  });

  it('stays bounded too while reads overlap without end, none lasting long', async () => {
    store.holdReads();
    for (let round = 0; round < 20; round++) {
      await announce500(round);
      store.releaseAllButLast(); // the previous read ends while this one is in flight
      await settle();
    }
    expect(sut.trackedChannels).toBeLessThan(2_000);
    store.releaseReads();
    await settle();
    expect(sut.trackedChannels).toBe(0);
    expect(dispatcher.peekIndex('q19')?.channelCount).toBe(500);
  });

  it('still never lets a read that started earlier overwrite one applied after it', async () => {
    sut.follow('q');
    store.waiting.set(`q\n${key(1)}`, 1);
    store.holdReads();
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)] }); // started first, sees 1 waiting, held
    await settle();
    store.waiting.set(`q\n${key(1)}`, 2);
    store.listener({ kind: 'queue', queue: 'q' }); // started later, sees 2, applied at once
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(2);
    store.releaseReads();
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(2);
    expect(sut.trackedChannels).toBe(0);
  });

  it('pauses and resumes a queue as the store says when another instance announces a queue change; resuming wakes its waiters', async () => {
    const waiting = Promise.resolve().then(() => dispatcher.waitForWork('q', {}, 60_000));
    store.waiting.set(`q\n${key(1)}`, 1);
    store.paused.add('q');
    store.listener({ kind: 'queue', queue: 'q' });
    await settle();
    expect(dispatcher.peekIndex('q')?.paused).toBe(true);
    expect(dispatcher.peekIndex('q')?.best('{}', {})).toBeNull();
    let outcome: string | null = null;
    void waiting.then((o) => (outcome = o));
    await settle();
    expect(outcome).toBeNull(); // a ready channel of a paused queue wakes nobody
    store.paused.delete('q');
    store.listener({ kind: 'queue', queue: 'q' });
    await settle();
    expect(outcome).toBe('woken');
    expect(dispatcher.peekIndex('q')?.best('{}', {})?.key).toBe(key(1));
  });

  it("does not let a reload that read the paused flag before this instance resumed the queue pause it again", async () => {
    store.waiting.set(`q\n${key(1)}`, 1);
    store.paused.add('q');
    sut.setPaused('q', true);
    store.holdPausedReads();
    store.listener({ kind: 'queue', queue: 'q' }); // the pause's own announcement: reads "paused", held
    await settle();
    store.paused.delete('q');
    sut.setPaused('q', false); // this instance resumes the queue (committed)
    store.releasePausedReads();
    await settle();
    expect(dispatcher.peekIndex('q')?.paused).toBe(false);
    expect(dispatcher.peekIndex('q')?.best('{}', {})?.key).toBe(key(1));
    store.paused.add('q');
    store.listener({ kind: 'queue', queue: 'q' }); // another instance pauses it later: applied
    await settle();
    expect(dispatcher.peekIndex('q')?.paused).toBe(true);
    expect(sut.trackedChannels).toBe(0);
  });

  it('only notes the changes of a queue it does not serve, and reads them once it serves the queue or counts it', async () => {
    const heads = jest.spyOn(store, 'channelHeads');
    const counts = jest.spyOn(store, 'channelStates');
    store.waiting.set(`q\n${key(1)}`, 2);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)] });
    await settle();
    expect(heads).not.toHaveBeenCalled();
    expect(counts).not.toHaveBeenCalled();
    expect(dispatcher.peekIndex('q')?.get(key(1))).toBeUndefined();
    await expect(sut.countsDone('q')).resolves.toBe(true); // a listing or the queue's counts
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(2);
    expect(counts).toHaveBeenCalledTimes(1);
    store.waiting.set(`q\n${key(2)}`, 3);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(2)] });
    await settle();
    expect(heads).toHaveBeenCalledTimes(1); // still not served: noted only
    sut.follow('q'); // a dequeue: the head at once, with its waiting items counted up to the cap; the counts paced
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(2))).toMatchObject({ waiting: 3, headSeq: 1 });
    expect(heads).toHaveBeenCalledTimes(2);
    expect(counts).toHaveBeenCalledTimes(1);
    await time.advance(COUNT_PACE_MS);
    await settle();
    expect(counts).toHaveBeenCalledTimes(2);
    expect(dispatcher.peekIndex('q')?.get(key(2))?.waiting).toBe(3);
  });

  it("reads a changed channel's head at once and its counts once, COUNT_PACE_MS later, with the queue's other changed channels", async () => {
    const deep = HEAD_COUNT_CAP + 36;
    const counts = jest.spyOn(store, 'channelStates');
    sut.follow('q');
    store.waiting.set(`q\n${key(1)}`, deep);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)] });
    await settle();
    // Counted up to the cap at once: the head read never passes over a deep channel's items.
    expect(dispatcher.peekIndex('q')?.get(key(1))).toMatchObject({ waiting: HEAD_COUNT_CAP, headSeq: 1 });
    expect(dispatcher.peekIndex('q')?.best('{}', {})?.key).toBe(key(1));
    await time.advance(COUNT_PACE_MS / 2);
    store.waiting.set(`q\n${key(2)}`, 2);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1), key(2)] });
    await settle();
    expect(counts).not.toHaveBeenCalled();
    await time.advance(COUNT_PACE_MS / 2);
    await settle();
    expect(counts).toHaveBeenCalledTimes(1);
    expect(counts).toHaveBeenLastCalledWith('q', [key(1), key(2)]);
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(deep);
    expect(dispatcher.peekIndex('q')?.get(key(2))?.waiting).toBe(2);
    const heads = jest.spyOn(store, 'channelHeads');
    store.waiting.set(`q\n${key(1)}`, 5); // drained elsewhere: a deep channel's count is kept until its counts are read
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1), key(2)] });
    await settle();
    expect(heads.mock.calls.map(([, keys, countUpTo]) => [keys, countUpTo])).toEqual(
      expect.arrayContaining([
        [[key(2)], HEAD_COUNT_CAP],
        [[key(1)], 0],
      ]),
    );
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(deep);
    await time.advance(COUNT_PACE_MS * 3);
    await settle();
    expect(counts).toHaveBeenCalledTimes(2);
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(5);
    store.waiting.set(`q\n${key(1)}`, 7); // now shallow: counted with its head
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)] });
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(7);
    expect(heads).toHaveBeenLastCalledWith('q', [key(1)], HEAD_COUNT_CAP);
    await time.advance(COUNT_PACE_MS * 3);
    await settle();
    expect(counts).toHaveBeenCalledTimes(3);
    await time.advance(COUNT_PACE_MS * 3);
    await settle();
    expect(counts).toHaveBeenCalledTimes(3); // nothing changed since
  });

  it('reads the heads of channels another instance only took from within TAKEN_PACE_MS, together; those it added to at once', async () => {
    const heads = jest.spyOn(store, 'channelHeads');
    sut.follow('q');
    for (const n of [1, 2, 3]) store.waiting.set(`q\n${key(n)}`, 5);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)], taken: true });
    await settle();
    await time.advance(TAKEN_PACE_MS / 2);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(2)], taken: true });
    await settle();
    expect(heads).not.toHaveBeenCalled();
    await time.advance(TAKEN_PACE_MS / 2);
    await settle();
    expect(heads.mock.calls.map(([, keys]) => keys)).toEqual([[key(1), key(2)]]);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(3)] }); // items added: read at once
    await settle();
    expect(heads.mock.calls.map(([, keys]) => keys)).toEqual([[key(1), key(2)], [key(3)]]);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)], taken: true });
    await settle();
    await expect(sut.readsDone('q')).resolves.toBe(true); // a dequeue that found nothing does not wait the pace
    expect(heads).toHaveBeenCalledTimes(3);
  });

  it("reads only the counts of a channel whose processing items alone changed (an ack here, or one another instance announces), never its head", async () => {
    const heads = jest.spyOn(store, 'channelHeads');
    const counts = jest.spyOn(store, 'channelStates');
    sut.follow('q');
    store.waiting.set(`q\n${key(1)}`, 3);
    store.waiting.set(`q\n${key(2)}`, 2);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1), key(2)] });
    await settle();
    expect(heads).toHaveBeenCalledTimes(1);
    await time.advance(COUNT_PACE_MS);
    await settle();
    expect(counts).toHaveBeenCalledTimes(1);
    const channel = dispatcher.peekIndex('q')!.get(key(1))!;
    dispatcher.peekIndex('q')!.apply(channel, { processing: 2 });
    sut.changed('q', key(1), { n: 1 }, { processing: -1 }); // an ack here: applied at once
    expect(channel.processing).toBe(1);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(2)], taken: true, settled: true }); // acks elsewhere
    await settle();
    await time.advance(TAKEN_PACE_MS * 2);
    await settle();
    expect(heads).toHaveBeenCalledTimes(1);
    expect(counts).toHaveBeenCalledTimes(1);
    await time.advance(COUNT_PACE_MS);
    await settle();
    // Both channels' counts, in one read: the ack here and the one heard of.
    expect(counts).toHaveBeenCalledTimes(2);
    expect(counts).toHaveBeenLastCalledWith('q', [key(1), key(2)]);
    expect(channel).toMatchObject({ processing: 0, waiting: 3 });
    expect(heads).toHaveBeenCalledTimes(1);
  });

  it("counts this instance's enqueued items at once on a queue it follows, and only notes them on one it does not", async () => {
    store.waiting.set(`p\n${key(1)}`, 3);
    sut.changed('p', key(1), { n: 1 }, { waiting: 3, head: 'first' }, true); // producers only: not followed
    expect(dispatcher.peekIndex('p')).toBeUndefined();
    expect(sut.notedChannels).toBe(1);
    sut.follow('q');
    store.waiting.set(`q\n${key(1)}`, 3);
    sut.changed('q', key(1), { n: 1 }, { waiting: 3, head: 'first' }, true);
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(3); // before any read
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(1))).toMatchObject({ waiting: 3, headSeq: 1 });
    store.waiting.set(`q\n${key(1)}`, 2);
    sut.changed('q', key(1), { n: 1 }, { waiting: -1, processing: 1, head: 'reread' }); // claimed here
    expect(dispatcher.peekIndex('q')?.get(key(1))).toMatchObject({ waiting: 2, processing: 0 }); // processing: at the read
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(1))?.waiting).toBe(2);
  });

  it('never leaves a channel with a head but no waiting item when counts read before that head arrive after it', async () => {
    sut.follow('q');
    store.waiting.set(`q\n${key(1)}`, 1);
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)] });
    await sut.countsDone('q');
    store.waiting.delete(`q\n${key(1)}`); // claimed by another instance
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)] });
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(1))?.headSeq ?? null).toBeNull();
    store.holdCountReads();
    const counted = sut.countsDone('q'); // reads "nothing waits", held
    await settle();
    store.waiting.set(`q\n${key(1)}`, 1); // another instance enqueues: its head is read at once
    store.listener({ kind: 'channels', queue: 'q', keys: [key(1)] });
    await settle();
    expect(dispatcher.peekIndex('q')?.best('{}', {})?.key).toBe(key(1));
    store.releaseCountReads();
    await counted;
    await settle();
    expect(dispatcher.peekIndex('q')?.get(key(1))).toMatchObject({ waiting: 1, headSeq: 1 });
    expect(dispatcher.peekIndex('q')?.best('{}', {})?.key).toBe(key(1));
  });

  it('follows a queue it served for twelve catch-up ticks, and one with a consumer waiting here for as long as it waits', async () => {
    const reads = jest.spyOn(store, 'channelHeads');
    const announce = async (n: number) => {
      store.waiting.set(`q\n${key(n)}`, 1);
      store.listener({ kind: 'channels', queue: 'q', keys: [key(n)] });
      await settle();
    };
    sut.follow('q');
    await time.advance(DEFAULT_TIMING.catchUpMs * 11);
    await announce(1);
    expect(reads).toHaveBeenCalledTimes(1); // read at once
    await time.advance(DEFAULT_TIMING.catchUpMs);
    await announce(2);
    expect(reads).toHaveBeenCalledTimes(1); // no longer followed: noted
    const waiting = dispatcher.waitForWork('q', { Where: { n: 3 } } as never, 600_000);
    await announce(3);
    expect(reads).toHaveBeenCalledTimes(2); // a consumer waits here: read at once, both noted channels with it
    expect(dispatcher.peekIndex('q')?.get(key(2))?.waiting).toBe(1);
    await expect(waiting).resolves.toBe('woken');
  });

  it('drops what it noted of a queue it does not serve once the queue is deleted', async () => {
    const reads = jest.spyOn(store, 'channelHeads');
    const counts = jest.spyOn(store, 'channelStates');
    const keys = Array.from({ length: 500 }, (_, i) => key(i));
    for (const k of keys) store.waiting.set(`gone\n${k}`, 1);
    store.listener({ kind: 'channels', queue: 'gone', keys });
    await settle();
    expect(sut.notedChannels).toBe(500);
    store.listener({ kind: 'queue_deleted', queue: 'gone' });
    expect(sut.notedChannels).toBe(0);
    await expect(sut.readsDone('gone')).resolves.toBe(false);
    await expect(sut.countsDone('gone')).resolves.toBe(false);
    expect(reads).not.toHaveBeenCalled();
    expect(counts).not.toHaveBeenCalled();
  });
});
