import { decodeTags } from '../../common/tags';
import { ReadOrder } from '../domain/dispatch/read-order';
import type { ChannelLoad, HeadLoad, WillowStore } from '../willow.store';
import type { Dispatcher } from './dispatcher';

/**
 * Sets index channels to what the store says (counts and head, or the head with its waiting items counted up to a
 * cap) and wakes their waiters. A read's head, and its counts, are each applied only if no read started later has
 * applied one already, so a slow read never overwrites a newer one. Whatever was applied last, a channel has a
 * waiting item in the index exactly when it has a head there: counts read before the head applied last are kept to
 * what that head says.
 */
export class IndexLoader {
  /** Which read's answer about a channel may still be applied (bounded: forgotten as reads end). */
  private readonly order = new ReadOrder();

  constructor(
    private readonly store: WillowStore,
    private readonly dispatcher: Dispatcher,
  ) {}

  /** Channels whose read order is remembered (for tests and diagnostics). */
  get trackedChannels(): number {
    return this.order.size;
  }

  /** Start-up and resync: every channel (or those of `queue`) as the store holds them now, and whether it is paused. */
  async reload(queue?: string): Promise<void> {
    const started = this.order.start();
    try {
      const [paused, loads] = await Promise.all([this.store.pausedQueues(queue), this.store.loadChannels(queue)]);
      this.applyPaused(queue, new Set(paused), started);
      const seen = new Set<string>();
      for (const load of loads) {
        seen.add(`${load.queue}\u0000${load.key}`);
        this.apply(load.queue, load.key, load, started);
      }
      for (const [name, index] of this.dispatcher.entries()) {
        if (queue !== undefined && name !== queue) continue;
        for (const channel of index.sorted()) {
          if (!seen.has(`${name}\u0000${channel.key}`)) this.apply(name, channel.key, null, started);
        }
      }
    } finally {
      this.order.end(started);
    }
  }

  /**
   * Reads the heads of the channels `keys` of `queue` and applies them (a missing one has no waiting item). The
   * waiting items of a channel the index holds fewer than 2 x HEAD_COUNT_CAP of (or none of) are counted up to
   * HEAD_COUNT_CAP with its head; a deeper one keeps its count until its counts are read.
   */
  async readHeads(queue: string, keys: readonly string[]): Promise<void> {
    const started = this.order.start();
    try {
      const index = this.dispatcher.peekIndex(queue);
      const shallow: string[] = [];
      const deep: string[] = [];
      for (const key of keys) ((index?.get(key)?.waiting ?? 0) < 2 * HEAD_COUNT_CAP ? shallow : deep).push(key);
      const [counted, uncounted] = await Promise.all([
        shallow.length > 0 ? this.store.channelHeads(queue, shallow, HEAD_COUNT_CAP) : new Map<string, HeadLoad>(),
        deep.length > 0 ? this.store.channelHeads(queue, deep, 0) : new Map<string, HeadLoad>(),
      ]);
      for (const key of shallow) this.applyHead(queue, key, counted.get(key) ?? null, true, started);
      for (const key of deep) this.applyHead(queue, key, uncounted.get(key) ?? null, false, started);
    } finally {
      this.order.end(started);
    }
  }

  /** Reads the channels `keys` of `queue` and applies what the store holds (a missing one holds nothing). */
  async read(queue: string, keys: readonly string[]): Promise<void> {
    const started = this.order.start();
    try {
      const states = await this.store.channelStates(queue, keys);
      const byKey = new Map(states.map((state) => [state.key, state]));
      for (const key of keys) this.apply(queue, key, byKey.get(key) ?? null, started);
    } finally {
      this.order.end(started);
    }
  }

  /**
   * This instance paused or resumed `queue` (its write committed): applied now, and ordered like a read started now,
   * so a reload that read the flag before the write cannot put the old value back.
   */
  setPaused(queue: string, paused: boolean): void {
    const started = this.order.start();
    this.applyFlag(queue, paused, started);
    this.order.end(started);
  }

  /** Pauses the queues the store says are paused and resumes the others (all, or `queue` alone). */
  private applyPaused(queue: string | undefined, paused: ReadonlySet<string>, started: number): void {
    for (const name of paused) this.applyFlag(name, true, started);
    for (const [name, index] of [...this.dispatcher.entries()]) {
      if ((queue === undefined || name === queue) && index.paused && !paused.has(name)) this.applyFlag(name, false, started);
    }
  }

  /** Sets `queue`'s paused flag as the read started at `started` found it, unless a later read set it already. */
  private applyFlag(queue: string, paused: boolean, started: number): void {
    if (this.order.admit(pausedKey(queue), started)) this.dispatcher.setPaused(queue, paused);
  }

  private apply(queue: string, key: string, state: ChannelLoad | null, started: number): void {
    const headRead = this.order.admit(headKey(queue, key), started);
    const countsRead = this.order.admit(countsKey(queue, key), started);
    if (!headRead && !countsRead) return;
    const { index, channel } = this.channelOf(queue, key, state !== null);
    if (!index || !channel) return;
    const head = headRead ? { headSeq: state?.headSeq ?? null, headPriority: state?.headPriority ?? 0, headDueAt: state?.headDueAt ?? null } : {};
    let counts = {};
    if (countsRead) {
      // Counts read before the head applied last (a head read since) say nothing of whether an item waits: that head does.
      const counted = state?.waiting ?? 0;
      const waiting = headRead ? counted : channel.headSeq === null ? 0 : Math.max(counted, 1);
      counts = { waiting: waiting - channel.waiting, processing: (state?.processing ?? 0) - channel.processing };
    }
    index.apply(channel, { ...counts, ...head });
    this.dispatcher.wake(queue, channel);
  }

  /** The index channel a read's answer applies to: made (with its queue's index) when the store holds something. */
  private channelOf(queue: string, key: string, holds: boolean) {
    const index = holds ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    const channel = index && (index.get(key) ?? (holds ? index.channel(key, decodeTags(key)) : undefined));
    return { index, channel };
  }

  /**
   * A head read: the head as read, and the waiting items as counted (`counted`), up to HEAD_COUNT_CAP (a channel
   * counted at the cap keeps a larger count it had until its counts are read); at least one while there is a head;
   * none when there is none.
   */
  private applyHead(queue: string, key: string, load: HeadLoad | null, counted: boolean, started: number): void {
    if (!this.order.admit(headKey(queue, key), started)) return;
    const { index, channel } = this.channelOf(queue, key, load !== null);
    if (!index || !channel) return;
    const head = load?.head ?? null;
    const waiting = !load ? 0 : !counted ? Math.max(channel.waiting, 1) : load.waiting < HEAD_COUNT_CAP ? Math.max(load.waiting, 1) : Math.max(channel.waiting, HEAD_COUNT_CAP);
    index.apply(channel, { waiting: waiting - channel.waiting, headSeq: head?.seq ?? null, headPriority: head?.priority ?? 0, headDueAt: head?.dueAt ?? null });
    this.dispatcher.wake(queue, channel);
  }
}

/** How far a head read counts a channel's waiting items: enough for the claims of one instance in flight at once on
 * a channel it knows of no more waiting items than twice this (a deeper one's count is kept until its counts are
 * read). Counting more rows per channel cost consume throughput: 64 measured 1.21 against 1.32 with 16. */
export const HEAD_COUNT_CAP = 16;

/** The read order's entry for a channel's head (a queue name holds no control character). */
function headKey(queue: string, key: string): string {
  return `${queue}\u0000${key}`;
}

/** The read order's entry for a channel's counts. */
function countsKey(queue: string, key: string): string {
  return `${queue}\u0002${key}`;
}

/** The read order's entry for a queue's paused flag (a queue name holds no control character, a channel's entry is
 * `queue NUL key`). */
function pausedKey(queue: string): string {
  return `${queue}\u0001paused`;
}
