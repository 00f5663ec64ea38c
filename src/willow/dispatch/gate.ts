import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Clock } from '../../common/clock';
import type { Query } from '../../common/query';
import type { Tags } from '../../common/tags';
import { LIMITER_PORT, type LimiterPort } from '../../limiter';
import { CLOCK } from '../../platform/clock.token';
import { CounterReconciler } from '../leases/counter-reconciler';
import { Dispatcher } from './dispatcher';
import type { Channel, QueueIndex } from '../domain/dispatch/queue-index';
import { runningCounterTags } from '../domain/leases/running-counter';
import { IndexSync } from './index-sync';
import { LeaseKeeper, toDelivery } from '../leases/lease-keeper';
import type { Delivery } from '../willow.port';
import { WILLOW_STORE, type StoredItem, type WillowStore } from '../willow.store';
import { WillowEvents } from '../willow-events';

/** Line order (DESIGN §7.8): the higher priority first, then the earlier place. */
function inLineOrder(a: StoredItem, b: StoredItem): number {
  return b.priority - a.priority || a.seq - b.seq;
}

/** How often a refusal that raced with a capacity-freed event is retried before the channel is blocked anyway. */
const RACE_RETRIES = 3;

/**
 * The dequeue path: reserve the best matching channels, pass each through the Limiter (running counter + 1), then
 * claim its head. A refused channel is blocked with the refusing limit until a capacity-freed event releases it.
 */
@Injectable()
export class Gate {
  private readonly logger = new Logger(Gate.name);

  constructor(
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    @Inject(LIMITER_PORT) private readonly limiter: LimiterPort,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly dispatcher: Dispatcher,
    private readonly leases: LeaseKeeper,
    private readonly counters: CounterReconciler,
    private readonly sync: IndexSync,
    @Optional() private readonly events: WillowEvents = new WillowEvents(),
  ) {}

  /** Hands out up to `count` items now (no waiting); [] when no matching channel can give one. */
  async take(queue: string, queryKey: string, query: Query, count: number): Promise<Delivery[]> {
    const index = this.dispatcher.index(queue);
    const delivered: Delivery[] = [];
    while (delivered.length < count) {
      const picked: Channel[] = [];
      for (let c = index.best(queryKey, query); c && picked.length < count - delivered.length; c = index.best(queryKey, query)) {
        index.reserve(c);
        picked.push(c);
      }
      if (picked.length === 0) break;
      const results = await Promise.allSettled(picked.map((channel) => this.takeFrom(queue, index, channel)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      // Concurrent claims of one channel take its items in any order: a batch answers them in line order.
      const claimed = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : [])).sort(inLineOrder);
      delivered.push(...claimed.map(toDelivery));
      if (failure) {
        if (delivered.length === 0) throw failure.reason;
        this.logger.warn({ err: failure.reason }, 'part of a dequeue batch failed; returning what was claimed');
        break;
      }
    }
    return delivered;
  }

  /** Increment, claim and index update under the counter guard: reconciliation sees all of them or none. */
  private takeFrom(queue: string, index: QueueIndex, channel: Channel): Promise<StoredItem | null> {
    return this.counters.guarded(() => this.claimFrom(queue, index, channel));
  }

  private async claimFrom(queue: string, index: QueueIndex, channel: Channel): Promise<StoredItem | null> {
    const tags = runningCounterTags(channel.tags, queue);
    try {
      if (!(await this.admit(queue, index, channel, tags))) return null;
    } catch (error) {
      this.counters.incrementFailed(error);
      this.release(queue, index, channel);
      throw error;
    }
    let item;
    try {
      item = await this.store.claimHead(queue, channel.key, this.clock.now());
    } catch (error) {
      await this.counters.decrement(channel.tags, queue, 'claim');
      this.release(queue, index, channel);
      throw error;
    }
    if (!item) {
      // The channel emptied under us (deleted, or claimed by another instance): re-read it so it is not picked again.
      this.sync.changed(queue, channel.key, channel.tags, { head: 'reread' });
      await this.counters.decrement(channel.tags, queue, 'claim');
      this.release(queue, index, channel);
      return null;
    }
    this.sync.changed(queue, channel.key, channel.tags, { waiting: -1, processing: 1, head: 'reread' });
    this.release(queue, index, channel);
    this.leases.watch(item);
    this.events.delivered(item);
    return item;
  }

  /** Limiter gate: true when the running counter went up; false when refused (the channel is then blocked). */
  private async admit(queue: string, index: QueueIndex, channel: Channel, tags: Tags): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const mark = this.dispatcher.capacityMark();
      const verdict = await this.limiter.tryIncrement({ tags, counters: 1 });
      if (verdict.allowed) return true;
      // Capacity freed while we asked: the refusal may be stale, and the event that would unblock us has passed.
      if (this.dispatcher.capacityFreedSince(mark) && attempt < RACE_RETRIES) continue;
      const { rule, override, limit, count, keyValues } = verdict;
      const wasBlocked = channel.blockedBy !== null;
      index.block(channel, { rule, override, limit, count, keyValues });
      if (!wasBlocked) this.events.channel('channel.blocked', queue, channel);
      index.unreserve(channel);
      return false;
    }
  }

  private release(queue: string, index: QueueIndex, channel: Channel): void {
    index.unreserve(channel);
    this.dispatcher.wake(queue, channel);
  }
}
