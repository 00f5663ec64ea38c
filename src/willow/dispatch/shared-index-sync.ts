import { Logger } from '@nestjs/common';
import type { Scheduler, Timer } from '../../common/scheduler';
import { QueueDeletedError } from '../domain/willow.errors';
import type { WillowChange, WillowStore } from '../willow.store';
import type { Dispatcher } from './dispatcher';
import type { IndexLoader } from './index-loader';
import type { ChannelDelta } from './channel-delta';

/** At most this many channels are read in one statement. */
const READ_BATCH = 1_000;
/** Catch-up ticks a queue stays followed after this instance last served it (12 x 5 s by default: a minute). */
const FOLLOW_TICKS = 12;

/**
 * Shared store (several instances on one database): the index holds what the store last said. Every write of any
 * instance is reported by `watch`, and the channels it names are read again (this instance's writes are read again
 * as it makes them). The channels of one queue are read together: whatever changes while a read is in flight joins
 * the next one. Queues with waiting consumers are also read again every `catchUpMs`, whatever was heard:
 * announcements are sent just after their write commits, so an instance killed in between takes that announcement
 * with it; this bounds how long a consumer elsewhere can miss the item it would have announced.
 *
 * Channels are read again at once only for the queues this instance follows: those with a consumer waiting here, or
 * that it served a dequeue of in the last FOLLOW_TICKS catch-up ticks. For the others the changed channels are only
 * noted, and read when the queue is next dequeued from (`follow`) or its channels or counts are asked for
 * (`readsDone`): an instance that only takes enqueues for a queue (producers on one instance, consumers on another)
 * reads nothing back, and two instances no longer each read every channel the other changed.
 */
export class SharedIndexSync {
  private readonly logger = new Logger(SharedIndexSync.name);
  /** Per queue, the channels to read again. */
  private readonly dirty = new Map<string, Set<string>>();
  /** Queues whose channels are being read (or about to be). */
  private readonly reading = new Set<string>();
  /** Per queue: how many times a channel turned dirty, how many of those the finished reads cover, who waits. */
  private readonly marks = new Map<string, { dirtied: number; read: number; waiters: Array<{ upTo: number; done: () => void }> }>();
  private catchUpTimer: Timer | null = null;
  /** Queues this instance served lately: catch-up ticks left before it stops following them. */
  private readonly followed = new Map<string, number>();

  constructor(
    private readonly store: WillowStore,
    private readonly dispatcher: Dispatcher,
    private readonly loader: IndexLoader,
    private readonly scheduler: Scheduler,
    private readonly catchUpMs: number,
  ) {}

  /** Starts hearing other instances' changes; resolves once listening. */
  async start(): Promise<void> {
    if (!this.store.watch) return;
    await this.store.watch((change) => this.onChange(change));
    this.catchUpTimer = this.scheduler.every(this.catchUpMs, () => {
      this.age();
      void this.catchUp();
    });
  }

  /** This instance serves `queue` (a dequeue): follow its changes, and read those noted while it did not. */
  follow(queue: string): void {
    this.followed.set(queue, FOLLOW_TICKS);
    this.startReading(queue);
  }

  /** Channels changed but not read yet (noted for queues this instance does not follow, or about to be read). */
  get notedChannels(): number {
    let noted = 0;
    for (const keys of this.dirty.values()) noted += keys.size;
    return noted;
  }

  /** A deleted queue's noted channels are never read: dropped, and whoever waits for them answered. */
  private forgetNoted(queue: string): void {
    this.followed.delete(queue);
    this.dirty.delete(queue);
    if (!this.reading.has(queue)) this.readUpTo(queue, Infinity);
  }

  private following(queue: string): boolean {
    return this.followed.has(queue) || this.dispatcher.hasWaiters(queue);
  }

  private age(): void {
    for (const [queue, ticks] of this.followed) {
      if (ticks <= 1) this.followed.delete(queue);
      else this.followed.set(queue, ticks - 1);
    }
  }

  stop(): void {
    this.catchUpTimer?.cancel();
  }

  /**
   * Counts that went down move at once, so a claimed item is not offered again (to be claimed in vain, after a
   * limiter increment) while the channel is read again; the read then sets counts and head as committed. Counts that
   * went up wait for the read: added to a count that may not yet show another instance's decrease, they could report
   * more processing than a limit allows. (A channel or queue index this instance lacks is made by the read.)
   */
  changed(queue: string, key: string, delta: ChannelDelta): void {
    const index = this.dispatcher.peekIndex(queue);
    const channel = index?.get(key);
    if (index && channel) {
      const waiting = Math.min(0, Math.max(delta.waiting ?? 0, -channel.waiting));
      const processing = Math.min(0, Math.max(delta.processing ?? 0, -channel.processing));
      if (waiting !== 0 || processing !== 0) index.apply(channel, { waiting, processing });
    }
    this.reread(queue, key);
  }

  private onChange(change: WillowChange): void {
    switch (change.kind) {
      case 'channels':
        for (const key of change.keys) this.reread(change.queue, key);
        return;
      case 'queue':
        return void this.loader.reload(change.queue).catch((error: unknown) => this.lost(error));
      case 'queue_deleted':
        this.dispatcher.failWaiters(change.queue, new QueueDeletedError(change.queue));
        this.dispatcher.forget(change.queue);
        this.forgetNoted(change.queue);
        return;
      case 'resync':
        return void this.resync();
    }
  }

  private async resync(): Promise<void> {
    try {
      await this.loader.reload();
      for (const name of this.dispatcher.queuesWithWaiters()) {
        if (!(await this.store.hasQueue(name))) this.onChange({ kind: 'queue_deleted', queue: name });
      }
    } catch (error) {
      this.lost(error);
    }
  }

  private async catchUp(): Promise<void> {
    for (const queue of this.dispatcher.queuesWithWaiters()) {
      await this.loader.reload(queue).catch((error: unknown) => this.lost(error));
    }
  }

  /**
   * Resolves once every channel of `queue` that turned dirty before the call has been read (at once when none is
   * pending), so a dequeue on this instance sees what this instance just enqueued. True when it had to wait.
   */
  async readsDone(queue: string): Promise<boolean> {
    this.startReading(queue);
    const mark = this.marks.get(queue);
    if (!mark || mark.read >= mark.dirtied) return false;
    await new Promise<void>((done) => mark.waiters.push({ upTo: mark.dirtied, done }));
    return true;
  }

  private reread(queue: string, key: string): void {
    const keys = this.dirty.get(queue) ?? new Set<string>();
    this.dirty.set(queue, keys);
    keys.add(key);
    const mark = this.marks.get(queue) ?? { dirtied: 0, read: 0, waiters: [] };
    this.marks.set(queue, mark);
    mark.dirtied++;
    if (this.following(queue)) this.startReading(queue);
  }

  /** Reads the queue's noted channels, unless a read is in flight (what it misses, the next one takes). */
  private startReading(queue: string): void {
    if (this.reading.has(queue) || !this.dirty.get(queue)?.size) return;
    this.reading.add(queue);
    queueMicrotask(() => this.readDirty(queue));
  }

  /** Reads the queue's dirty channels (a batch of them), then again while more turned dirty meanwhile. */
  private readDirty(queue: string): void {
    const keys = this.dirty.get(queue);
    if (!keys || keys.size === 0) {
      this.dirty.delete(queue);
      this.reading.delete(queue);
      this.readUpTo(queue, Infinity);
      return;
    }
    const batch: string[] = [];
    for (const key of keys) {
      batch.push(key);
      keys.delete(key);
      if (batch.length === READ_BATCH) break;
    }
    // A batch that takes every dirty channel covers every mark made so far (a failed read counts: it was tried).
    const covers = keys.size === 0 ? (this.marks.get(queue)?.dirtied ?? 0) : 0;
    this.loader
      .read(queue, batch)
      .catch((error: unknown) => this.lost(error))
      .finally(() => {
        this.readUpTo(queue, covers);
        this.readDirty(queue);
      });
  }

  private readUpTo(queue: string, upTo: number): void {
    const mark = this.marks.get(queue);
    if (!mark) return;
    mark.read = Math.max(mark.read, Math.min(upTo, mark.dirtied));
    const ready = mark.waiters.filter((w) => w.upTo <= mark.read);
    mark.waiters = mark.waiters.filter((w) => w.upTo > mark.read);
    for (const w of ready) w.done();
    if (mark.read >= mark.dirtied && mark.waiters.length === 0) this.marks.delete(queue);
  }

  /** The store could not be read: the index may lag until the next change or resync (the listener reconnects). */
  private lost(error: unknown): void {
    this.logger.warn({ err: error }, 'could not re-read the queue index from the store; it catches up on the next change');
  }
}
