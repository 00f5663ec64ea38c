import { decodeTags } from '../../common/tags';
import { ReadOrder } from '../domain/dispatch/read-order';
import type { ChannelHead, ChannelLoad, WillowStore } from '../willow.store';
import type { Dispatcher } from './dispatcher';

/**
 * Sets index channels to what the store says (counts and head, or the head alone) and wakes their waiters. A read's
 * head, and its counts, are each applied only if no read started later has applied one already, so a slow read never
 * overwrites a newer one. Whatever was applied last, a channel has a waiting item in the index exactly when it has a
 * head there: a head read finding one counts at least one waiting item until the counts are read again, and counts
 * read before the head applied last are kept to what that head says.
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

  /** Reads the heads of the channels `keys` of `queue` and applies them (a missing one has no waiting item). */
  async readHeads(queue: string, keys: readonly string[]): Promise<void> {
    const started = this.order.start();
    try {
      const heads = await this.store.channelHeads(queue, keys);
      for (const key of keys) this.applyHead(queue, key, heads.get(key) ?? null, started);
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
    const index = state ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    const channel = index && (index.get(key) ?? (state ? index.channel(key, decodeTags(key)) : undefined));
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

  /** A head read: the head as read, and at least one waiting item while there is one (none when there is none). */
  private applyHead(queue: string, key: string, head: ChannelHead | null, started: number): void {
    if (!this.order.admit(headKey(queue, key), started)) return;
    const index = head ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    const channel = index && (index.get(key) ?? (head ? index.channel(key, decodeTags(key)) : undefined));
    if (!index || !channel) return;
    const waiting = head ? Math.max(channel.waiting, 1) : 0;
    index.apply(channel, { waiting: waiting - channel.waiting, headSeq: head?.seq ?? null, headPriority: head?.priority ?? 0, headDueAt: head?.dueAt ?? null });
    this.dispatcher.wake(queue, channel);
  }
}

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
