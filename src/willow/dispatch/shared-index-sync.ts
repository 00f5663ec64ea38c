import { Logger } from '@nestjs/common';
import type { Scheduler, Timer } from '../../common/scheduler';
import type { Tags } from '../../common/tags';
import { QueueDeletedError } from '../domain/willow.errors';
import type { WillowChange, WillowStore } from '../willow.store';
import type { Dispatcher } from './dispatcher';
import type { IndexLoader } from './index-loader';
import type { ChannelDelta } from './channel-delta';
import { ChannelReads } from './channel-reads';

/** Catch-up ticks a queue stays followed after this instance last served it (12 x 5 s by default: a minute). */
const FOLLOW_TICKS = 12;
/** The longest a changed channel's counts wait to be read again (its head is read at once, or TAKEN_PACE_MS later). */
export const COUNT_PACE_MS = 1_000;
/**
 * The longest the head of a channel that another instance only claimed items of (as an earlier version also
 * announces its acks) waits to be read again, with the others taken from meanwhile. Read at once, each claim
 * elsewhere cost a read here: on two instances sharing 50 consumers' dequeue+ack, 0.67 head reads per item against
 * 0.24 on one instance. A head that stayed in the index meanwhile costs nothing wrong: a claim of its channel takes
 * the next item in line, or finds none and reads the channel again; a dequeue that finds nothing reads every noted
 * channel first (`readsDone`).
 */
export const TAKEN_PACE_MS = 50;

/**
 * Shared store (several instances on one database): the index holds what the store last said. Every write of any
 * instance is reported by `watch`, and the channels it names are read again (this instance's writes are read again
 * as it makes them). A changed channel's head is read at once (an index probe; it decides what can be handed out,
 * and whether anything waits), or within TAKEN_PACE_MS when another instance only claimed items of it, and not at
 * all when only its processing items changed (an ack, here or elsewhere: its head stayed where it was); its counts,
 * which take a pass over the channel's items, are read again at most COUNT_PACE_MS later, together with those of the
 * queue's other channels that changed meanwhile, or at once when a listing or the queue's counts ask for them
 * (`countsDone`). Whatever changes while a read of a queue is in flight
 * joins its next one. Queues with waiting consumers are also read again every `catchUpMs`, whatever was heard:
 * announcements are sent just after their write commits, so an instance killed in between takes that announcement
 * with it; this bounds how long a consumer elsewhere can miss the item it would have announced.
 *
 * Channels are read again at once only for the queues this instance follows: those with a consumer waiting here, or
 * that it served a dequeue of in the last FOLLOW_TICKS catch-up ticks. For the others the changed channels are only
 * noted, and read when the queue is next dequeued from (`follow`) or its channels or counts are asked for
 * (`readsDone`, `countsDone`): an instance that only takes enqueues for a queue (producers on one instance, consumers
 * on another) reads nothing back, and two instances no longer each read every channel the other changed.
 */
export class SharedIndexSync {
  private readonly logger = new Logger(SharedIndexSync.name);
  /** Channels whose head is to be read again. */
  private readonly heads: ChannelReads;
  /** Channels whose counts (and head) are to be read again, paced. */
  private readonly counts: ChannelReads;
  private catchUpTimer: Timer | null = null;
  /** Queues this instance served lately: catch-up ticks left before it stops following them. */
  private readonly followed = new Map<string, number>();

  constructor(
    private readonly store: WillowStore,
    private readonly dispatcher: Dispatcher,
    private readonly loader: IndexLoader,
    private readonly scheduler: Scheduler,
    private readonly catchUpMs: number,
  ) {
    this.heads = new ChannelReads((queue, keys) => this.loader.readHeads(queue, keys).catch((error: unknown) => this.lost(error)), scheduler, TAKEN_PACE_MS);
    this.counts = new ChannelReads((queue, keys) => this.loader.read(queue, keys).catch((error: unknown) => this.lost(error)), scheduler, COUNT_PACE_MS);
  }

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
    this.heads.start(queue, true);
    this.counts.start(queue);
  }

  /** Channels changed but not read yet (noted for queues this instance does not follow, or about to be read). */
  get notedChannels(): number {
    return this.heads.size;
  }

  /** A deleted queue's noted channels are never read: dropped, and whoever waits for them answered. */
  private forgetNoted(queue: string): void {
    this.followed.delete(queue);
    this.heads.forget(queue);
    this.counts.forget(queue);
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
    this.heads.stop();
    this.counts.stop();
  }

  /**
   * Counts that went down move at once, so a claimed item is not offered again (to be claimed in vain, after a
   * limiter increment) while the channel is read again; on a queue this instance follows, so do waiting items added
   * (`create`: by an enqueue, which makes the channel if this instance lacks it). The reads then set the head and
   * the counts as committed. Processing items added wait for the counts' read: added to a count that may not yet
   * show another instance's decrease, they could report more processing than a limit allows. A queue this instance
   * does not follow gets nothing in its index here: the change is only noted, and read when the queue is served.
   */
  changed(queue: string, key: string, tags: Tags, delta: ChannelDelta, create: boolean): void {
    const following = this.following(queue);
    const index = create && following ? this.dispatcher.index(queue) : this.dispatcher.peekIndex(queue);
    const channel = create && following && (delta.waiting ?? 0) > 0 ? index?.channel(key, tags) : index?.get(key);
    if (index && channel) {
      const waiting = following ? Math.max(delta.waiting ?? 0, -channel.waiting) : Math.min(0, Math.max(delta.waiting ?? 0, -channel.waiting));
      const processing = Math.min(0, Math.max(delta.processing ?? 0, -channel.processing));
      if (waiting !== 0 || processing !== 0) index.apply(channel, { waiting, processing });
    }
    // A change of processing items alone (an ack) leaves the channel's head where it was: only its counts are read.
    this.reread(queue, key, delta.head === undefined ? 'counts' : 'now');
  }

  private onChange(change: WillowChange): void {
    switch (change.kind) {
      case 'channels':
        for (const key of change.keys) this.reread(change.queue, key, change.settled ? 'counts' : change.taken ? 'paced' : 'now');
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
    // A queue deleted while this instance was not listening is not known to exist any more.
    this.dispatcher.knownQueues.forgetAll();
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
   * Resolves once the head of every channel of `queue` that changed before the call (by this instance's writes, or
   * heard of) has been read into the index (at once when none is pending), so a dequeue on this instance sees what
   * this instance just enqueued. True when it had to wait.
   */
  readsDone(queue: string): Promise<boolean> {
    return this.heads.done(queue);
  }

  /** `readsDone`, and the counts of those channels read as well (at once, not paced): for a listing or counts. */
  async countsDone(queue: string): Promise<boolean> {
    const [heads, counts] = await Promise.all([this.heads.done(queue), this.counts.done(queue)]);
    return heads || counts;
  }

  /**
   * Notes the channel for both reads, or (`counts`: its head did not move) for the counts' read only; on a queue this
   * instance follows, its head is read at once (`now`) or within TAKEN_PACE_MS (`paced`), its counts paced.
   */
  private reread(queue: string, key: string, head: 'now' | 'paced' | 'counts'): void {
    if (head !== 'counts') this.heads.note(queue, key);
    this.counts.note(queue, key);
    if (!this.following(queue)) return;
    if (head !== 'counts') this.heads.start(queue, head === 'now');
    this.counts.start(queue);
  }

  /** The store could not be read: the index may lag until the next change or resync (the listener reconnects). */
  private lost(error: unknown): void {
    this.logger.warn({ err: error }, 'could not re-read the queue index from the store; it catches up on the next change');
  }
}
