import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Clock } from '../../common/clock';
import type { Query } from '../../common/query';
import { LIMITER_PORT, type IncrementResult, type LimiterPort } from '../../limiter';
import { CLOCK } from '../../platform/clock.token';
import { CounterReconciler } from '../leases/counter-reconciler';
import { Dispatcher } from './dispatcher';
import type { Channel, QueueIndex } from '../domain/dispatch/queue-index';
import { inLineOrder } from '../domain/item';
import { runningCounterTagsOf } from '../domain/leases/running-counter';
import { IndexSync } from './index-sync';
import { LeaseKeeper, toDelivery } from '../leases/lease-keeper';
import type { Delivery } from '../willow.port';
import { WILLOW_STORE, type StoredItem, type WillowStore } from '../willow.store';
import { WillowEvents } from '../willow-events';

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
      let claimed: StoredItem[];
      try {
        claimed = await this.counters.guarded(() => this.claimFrom(queue, index, picked));
      } catch (error) {
        if (delivered.length === 0) throw error;
        this.logger.warn({ err: error }, 'part of a dequeue batch failed; returning what was claimed');
        break;
      }
      delivered.push(...claimed.map(toDelivery));
    }
    return delivered;
  }

  /**
   * The picked channels, together: one Limiter call for their running counters, one store write claiming the heads
   * of those admitted, under the counter guard (reconciliation sees all of it or none). Answers in line order.
   */
  private async claimFrom(queue: string, index: QueueIndex, picked: readonly Channel[]): Promise<StoredItem[]> {
    const admitted = await this.admit(queue, index, picked);
    if (admitted.length === 0) return [];
    let items: Array<StoredItem | null>;
    try {
      items = await this.store.claimHeads(queue, admitted.map((c) => c.key), this.clock.now());
    } catch (error) {
      // A claim that lost its connection on a shared store may have committed, its answer lost: its counters are
      // left for a recount. Any other failure wrote nothing.
      if (!this.counters.unknownOutcome(error)) await this.counters.decrementMany(queue, admitted.map((c) => ({ counterTags: runningCounterTagsOf(c, queue), what: 'claim' })));
      for (const channel of admitted) this.release(queue, index, channel);
      throw error;
    }
    const claimed: StoredItem[] = [];
    const empty: Channel[] = [];
    admitted.forEach((channel, i) => {
      const item = items[i];
      if (item) {
        this.sync.changed(queue, channel.key, channel.tags, { waiting: -1, processing: 1, head: 'reread' });
        this.leases.watch(item);
        this.events.delivered(item);
        claimed.push(item);
      } else {
        // The channel emptied under us (deleted, or claimed by another instance): re-read it so it is not picked again.
        this.sync.changed(queue, channel.key, channel.tags, { head: 'reread' });
        empty.push(channel);
      }
      this.release(queue, index, channel);
    });
    await this.counters.decrementMany(queue, empty.map((c) => ({ counterTags: runningCounterTagsOf(c, queue), what: 'claim' })));
    return claimed.sort(inLineOrder);
  }

  /**
   * Limiter gate: the channels whose running counter went up. A refused channel is blocked with the refusing limit;
   * one whose refusal raced with a capacity-freed event is asked again (its refusal may be stale).
   */
  private async admit(queue: string, index: QueueIndex, channels: readonly Channel[]): Promise<Channel[]> {
    const admitted: Channel[] = [];
    let asking = channels;
    for (let attempt = 1; asking.length > 0; attempt++) {
      const mark = this.dispatcher.capacityMark();
      let verdicts: IncrementResult[];
      try {
        verdicts = await this.limiter.tryIncrementMany(asking.map((c) => ({ tags: runningCounterTagsOf(c, queue), counters: 1 })));
      } catch (error) {
        this.counters.incrementFailed(error);
        for (const channel of asking) this.release(queue, index, channel);
        // Those counted on an earlier round go on to their claim.
        if (admitted.length > 0) return admitted;
        throw error;
      }
      const raced = this.dispatcher.capacityFreedSince(mark) && attempt < RACE_RETRIES;
      const again: Channel[] = [];
      asking.forEach((channel, i) => {
        const verdict = verdicts[i];
        // Kept only as a Limiter in this process answers (a frozen set it checked); a transport's copy gains nothing.
        if (Object.isFrozen(verdict.tags)) channel.counterTags = verdict.tags;
        if (verdict.allowed) admitted.push(channel);
        else if (raced) again.push(channel);
        else this.refused(queue, index, channel, verdict);
      });
      asking = again;
    }
    return admitted;
  }

  private refused(queue: string, index: QueueIndex, channel: Channel, verdict: Extract<IncrementResult, { allowed: false }>): void {
    const { rule, override, limit, count, keyValues } = verdict;
    const wasBlocked = channel.blockedBy !== null;
    index.block(channel, { rule, override, limit, count, keyValues });
    if (!wasBlocked) this.events.channel('channel.blocked', queue, channel);
    index.unreserve(channel);
  }

  private release(queue: string, index: QueueIndex, channel: Channel): void {
    index.unreserve(channel);
    this.dispatcher.wake(queue, channel);
  }
}
