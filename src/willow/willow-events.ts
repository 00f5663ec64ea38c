import { Inject, Injectable, Optional } from '@nestjs/common';
import { systemClock, type Clock } from '../common/clock';
import type { Tags } from '../common/tags';
import { CLOCK } from '../platform/clock.token';
import { NO_OBSERVER, OBSERVER, type EventType, type Observer } from '../platform/observability/observer.port';
import type { EnqueueOutcome, Settled, StoredItem } from './willow.store';

/** Deliveries remembered for the processing-time histogram; beyond this the oldest are forgotten. */
const MAX_TRACKED = 100_000;

/** Why an item left processing, as far as its events go. */
export type SettleCause = 'ack' | 'lease' | 'other';

/**
 * What the queue tells observability, each call after the change it describes has committed: the item, channel and
 * queue events of DESIGN §11, and the wait and processing times. Delivery times are kept here, in memory, so an ack
 * served by the instance that made the delivery is timed; one served by another instance (PostgreSQL) is not.
 */
@Injectable()
export class WillowEvents {
  private readonly deliveredAt = new Map<string, number>();

  constructor(
    @Optional() @Inject(OBSERVER) private readonly observer: Observer = NO_OBSERVER,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  enqueued(queue: string, outcomes: readonly EnqueueOutcome[], tagsByKey: ReadonlyMap<string, Tags>): void {
    if (this.observer === NO_OBSERVER) return;
    const at = this.clock.now();
    for (const o of outcomes) this.emit(o.collapsed ? 'item.collapsed' : 'item.enqueued', queue, o.id, tagsByKey.get(o.key) ?? null, at, o.key);
  }

  delivered(item: StoredItem & { readonly enqueuedAt?: number | null }): void {
    if (this.observer === NO_OBSERVER) return;
    const at = this.clock.now();
    if (item.attempt === 1 && item.enqueuedAt != null) this.observer.itemWaited(item.queue, Math.max(0, at - item.enqueuedAt) / 1_000);
    if (this.deliveredAt.size >= MAX_TRACKED) this.deliveredAt.delete(this.deliveredAt.keys().next().value!);
    this.deliveredAt.set(item.id, at);
    this.emit('item.dequeued', item.queue, item.id, item.tags, at, item.key);
  }

  /** An item left processing: acked or failed (`ack`), its lease ran out (`lease`), given back or cancelled. */
  settled({ item, outcome }: Settled, cause: SettleCause): void {
    if (this.observer === NO_OBSERVER) return;
    const at = this.clock.now();
    const deliveredAt = this.deliveredAt.get(item.id);
    this.deliveredAt.delete(item.id);
    if (outcome === 'given_back') return;
    if (outcome === 'cancelled') return this.emit('item.cancelled', item.queue, item.id, item.tags, at, item.key);
    if (cause === 'ack') {
      if (deliveredAt !== undefined) this.observer.itemProcessed(item.queue, Math.max(0, at - deliveredAt) / 1_000);
      this.emit(outcome === 'acked' ? 'item.acked' : 'item.failed', item.queue, item.id, item.tags, at, item.key);
    } else if (cause === 'lease') {
      this.emit('item.expired', item.queue, item.id, item.tags, at, item.key);
    }
    if (outcome === 'dead') this.emit('item.dead', item.queue, item.id, item.tags, at, item.key);
  }

  /** A waiting item was cancelled. */
  cancelled(item: StoredItem): void {
    this.emit('item.cancelled', item.queue, item.id, item.tags, this.clock.now(), item.key);
  }

  channel(type: 'channel.blocked' | 'channel.unblocked', queue: string, channel: { readonly key: string; readonly tags: Tags }): void {
    this.emit(type, queue, null, channel.tags, this.clock.now(), channel.key);
  }

  paused(queue: string, paused: boolean): void {
    this.emit(paused ? 'queue.paused' : 'queue.resumed', queue, null, null, this.clock.now());
  }

  private emit(type: EventType, queue: string, id: string | null, tags: Tags | null, at: number, key?: string): void {
    this.observer.emit({ type, queue, id, tags, at, key });
  }
}
