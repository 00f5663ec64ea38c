import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Scheduler, Timer } from '../../common/scheduler';
import { decodeTags, type Tags } from '../../common/tags';
import { CONFIG, type Config } from '../../config';
import { SCHEDULER } from '../../platform/scheduler.token';
import { Dispatcher } from './dispatcher';
import { ReadOrder } from '../domain/dispatch/read-order';
import { QueueDeletedError } from '../domain/willow.errors';
import { WILLOW_STORE, type ChannelLoad, type WillowChange, type WillowStore } from '../willow.store';

/** A committed write's effect on one channel: counts moved, and where its first waiting item now is. */
export interface ChannelDelta {
  readonly waiting?: number;
  readonly processing?: number;
  /** `reread`: the head may have moved; `first`: items were appended, the head changes only if there was none. */
  readonly head?: 'reread' | 'first';
}

/** At most this many channels are read in one statement. */
const READ_BATCH = 1_000;

/**
 * Keeps the dispatch index equal to the store.
 * - Embedded store (one process): each write of this process is applied at once, in the same turn as the write, with
 *   the head read synchronously, so the index never lags.
 * - Shared store (several instances on one database): the index holds what the store last said. Every write of any
 *   instance is reported by `watch`, and the channels it names are read again (this instance's writes are read again as
 *   it makes them). The channels of one queue are read together: whatever changes while a read is in flight joins the
 *   next one. A read is applied only if no read started later has been applied already, so a slow read never
 *   overwrites a newer one. Queues with waiting consumers are also read again every `timing.catchUpMs`, whatever was
 *   heard: announcements are sent just after their write commits, so an instance killed in between takes that
 *   announcement with it; this bounds how long a consumer elsewhere can miss the item it would have announced.
 */
@Injectable()
export class IndexSync implements OnApplicationShutdown {
  private readonly logger = new Logger(IndexSync.name);
  /** Per queue, the channels to read again. */
  private readonly dirty = new Map<string, Set<string>>();
  /** Queues whose channels are being read (or about to be). */
  private readonly reading = new Set<string>();
  private catchUpTimer: Timer | null = null;
  /** Which read's answer about a channel may still be applied (bounded: forgotten as reads end). */
  private readonly order = new ReadOrder();

  constructor(
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    private readonly dispatcher: Dispatcher,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CONFIG) private readonly config: Pick<Config, 'timing'>,
  ) {}

  /** True when other instances write to the same store. */
  get shared(): boolean {
    return this.store.channelHead === undefined;
  }

  /** Starts hearing other instances' changes (shared store); resolves once listening. */
  async start(): Promise<void> {
    if (!this.store.watch) return;
    await this.store.watch((change) => this.onChange(change));
    this.catchUpTimer = this.scheduler.every(this.config.timing.catchUpMs, () => void this.catchUp());
  }

  onApplicationShutdown(): void {
    this.catchUpTimer?.cancel();
  }

  /** A write of this process committed a change to the channel `key` of `queue`. `create`: make the queue's index
   * if it has none (an enqueue), rather than ignoring the change (the queue was deleted meanwhile). */
  changed(queue: string, key: string, tags: Tags, delta: ChannelDelta, create = false): void {
    const channelHead = this.store.channelHead?.bind(this.store);
    if (!channelHead) return this.provisional(queue, key, delta);
    const index = create ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    if (!index) return;
    const channel = index.channel(key, tags);
    const headSeq =
      delta.head === 'reread' ? channelHead(queue, key) : delta.head === 'first' ? (channel.headSeq ?? channelHead(queue, key)) : undefined;
    index.apply(channel, { waiting: delta.waiting, processing: delta.processing, headSeq });
    this.dispatcher.wake(queue, channel);
  }

  /**
   * Shared store: counts that went down move at once, so a claimed item is not offered again (to be claimed in vain,
   * after a limiter increment) while the channel is read again; the read then sets counts and head as committed.
   * Counts that went up wait for the read: added to a count that may not yet show another instance's decrease, they
   * could report more processing than a limit allows. (A channel or queue index this instance lacks is made by the
   * read, when it finds items.)
   */
  private provisional(queue: string, key: string, delta: ChannelDelta): void {
    const index = this.dispatcher.peekIndex(queue);
    const channel = index?.get(key);
    if (index && channel) {
      const waiting = Math.min(0, Math.max(delta.waiting ?? 0, -channel.waiting));
      const processing = Math.min(0, Math.max(delta.processing ?? 0, -channel.processing));
      if (waiting !== 0 || processing !== 0) index.apply(channel, { waiting, processing });
    }
    this.reread(queue, key);
  }

  /** Channels whose read order is remembered (for tests and diagnostics). */
  get trackedChannels(): number {
    return this.order.size;
  }

  /** Start-up and resync: every channel (or those of `queue`) as the store holds them now. */
  async reload(queue?: string): Promise<void> {
    const started = this.order.start();
    try {
      this.applyLoads(queue, await this.store.loadChannels(queue), started);
    } finally {
      this.order.end(started);
    }
  }

  private applyLoads(queue: string | undefined, loads: readonly ChannelLoad[], started: number): void {
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
  }

  private onChange(change: WillowChange): void {
    switch (change.kind) {
      case 'channels':
        for (const key of change.keys) this.reread(change.queue, key);
        return;
      case 'queue':
        return void this.reload(change.queue).catch((error: unknown) => this.lost(error));
      case 'queue_deleted':
        this.dispatcher.failWaiters(change.queue, new QueueDeletedError(change.queue));
        this.dispatcher.forget(change.queue);
        return;
      case 'resync':
        return void this.resync();
    }
  }

  private async resync(): Promise<void> {
    try {
      await this.reload();
      for (const name of this.dispatcher.queuesWithWaiters()) {
        if (!(await this.store.hasQueue(name))) this.onChange({ kind: 'queue_deleted', queue: name });
      }
    } catch (error) {
      this.lost(error);
    }
  }

  private async catchUp(): Promise<void> {
    for (const queue of this.dispatcher.queuesWithWaiters()) {
      await this.reload(queue).catch((error: unknown) => this.lost(error));
    }
  }

  private reread(queue: string, key: string): void {
    const keys = this.dirty.get(queue) ?? new Set<string>();
    this.dirty.set(queue, keys);
    keys.add(key);
    if (this.reading.has(queue)) return; // read when the read in flight ends
    this.reading.add(queue);
    queueMicrotask(() => this.readDirty(queue));
  }

  /** Reads the queue's dirty channels (a batch of them), then again while more turned dirty meanwhile. */
  private readDirty(queue: string): void {
    const keys = this.dirty.get(queue);
    if (!keys || keys.size === 0) {
      this.dirty.delete(queue);
      this.reading.delete(queue);
      return;
    }
    const batch: string[] = [];
    for (const key of keys) {
      batch.push(key);
      keys.delete(key);
      if (batch.length === READ_BATCH) break;
    }
    const started = this.order.start();
    this.store
      .channelStates(queue, batch)
      .then(
        (states) => {
          const byKey = new Map(states.map((state) => [state.key, state]));
          for (const key of batch) this.apply(queue, key, byKey.get(key) ?? null, started);
        },
        (error: unknown) => this.lost(error),
      )
      .finally(() => {
        this.order.end(started);
        this.readDirty(queue);
      });
  }

  private apply(queue: string, key: string, state: ChannelLoad | null, started: number): void {
    if (!this.order.admit(`${queue}\u0000${key}`, started)) return;
    const index = state ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    const channel = index && (index.get(key) ?? (state ? index.channel(key, decodeTags(key)) : undefined));
    if (!index || !channel) return;
    index.apply(channel, {
      waiting: (state?.waiting ?? 0) - channel.waiting,
      processing: (state?.processing ?? 0) - channel.processing,
      headSeq: state?.headSeq ?? null,
    });
    this.dispatcher.wake(queue, channel);
  }

  /** The store could not be read: the index may lag until the next change or resync (the listener reconnects). */
  private lost(error: unknown): void {
    this.logger.warn({ err: error }, 'could not re-read the queue index from the store; it catches up on the next change');
  }
}
