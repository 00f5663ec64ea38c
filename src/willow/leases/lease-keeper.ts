import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { Clock } from '../../common/clock';
import type { Scheduler, Timer } from '../../common/scheduler';
import { CONFIG, type Config } from '../../config';
import { CLOCK } from '../../platform/clock.token';
import { SCHEDULER } from '../../platform/scheduler.token';
import { CounterFence } from './counter-fence';
import { CounterReconciler } from './counter-reconciler';
import { IndexSync } from '../dispatch/index-sync';
import { DeadlineQueue } from '../domain/leases/deadline-queue';
import type { Delivery } from '../willow.port';
import { WILLOW_STORE, type Settled, type StoredItem, type WillowStore } from '../willow.store';
import { WillowEvents, type SettleCause } from '../willow-events';

/**
 * Leases and their aftermath: one timer for every processing item's deadline, the bookkeeping after an item leaves
 * processing (running counter down exactly once, index updated, consumers woken), and recovery on start.
 */
@Injectable()
export class LeaseKeeper implements OnApplicationShutdown {
  private readonly logger = new Logger(LeaseKeeper.name);
  private readonly deadlines = new DeadlineQueue<{ id: string; attempt: number }>();
  private timer: Timer | null = null;
  private sweepTimer: Timer | null = null;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    private readonly counters: CounterReconciler,
    private readonly fence: CounterFence,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly sync: IndexSync,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CONFIG) private readonly config: Pick<Config, 'timing'>,
    @Optional() private readonly events: WillowEvents = new WillowEvents(),
  ) {}

  onApplicationShutdown(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.sweepTimer?.cancel();
    this.deadlines.clear();
  }

  /** Expires the delivery when its lease runs out (a renewed lease simply adds a later deadline). */
  watch(item: Pick<StoredItem, 'id' | 'attempt' | 'expiresAt'>): void {
    if (item.expiresAt === null || this.stopped) return;
    this.deadlines.push({ id: item.id, attempt: item.attempt }, item.expiresAt);
    this.arm();
  }

  /**
   * A store write that may take items out of processing (`write`; `settledOf` names the items it did), then for each
   * of them: index first (so freed capacity finds it), then the running counter (one Limiter call), then wake-ups.
   * The write and what follows it run in one hold of the counter guard, so a reconciliation sees neither or both: on a
   * shared store it re-counts from the items processing in the database, which the write changes.
   */
  async settle<T>(write: () => Promise<T>, settledOf: (result: T) => readonly Settled[], opts: { decrement?: boolean; cause?: SettleCause } = {}): Promise<T> {
    return this.counters.guarded(async () => {
      let result: T;
      try {
        result = await write();
      } catch (error) {
        this.counters.unknownOutcome(error); // committed, its answer lost? a recount sets the counters right
        throw error;
      }
      const settled = settledOf(result);
      if (settled.length === 0) return result;
      const { queue } = settled[0].item;
      // Read before the index changes below, which may drop a channel they empty.
      const counterTags = opts.decrement === false ? [] : settled.map(({ item }) => this.counters.counterTagsOf(queue, item.key, item.tags));
      for (const s of settled) this.events.settled(s, opts.cause ?? 'other');
      for (const { item, outcome } of settled) {
        const backInLine = outcome === 'front' || outcome === 'back' || outcome === 'given_back';
        this.sync.changed(queue, item.key, item.tags, backInLine ? { processing: -1, waiting: 1, head: 'reread' } : { processing: -1 });
      }
      if (opts.decrement !== false) {
        await this.counters.decrementMany(queue, settled.map(({ item }, i) => ({ counterTags: counterTags[i], what: `${item.id}:${item.attempt}` })));
      }
      return result;
    });
  }

  /** `settle` of a write that settles one item, or none (null). */
  settleOne(write: () => Promise<Settled | null>, opts: { decrement?: boolean; cause?: SettleCause } = {}): Promise<Settled | null> {
    return this.settle(write, (settled) => (settled ? [settled] : []), opts);
  }

  /** `settle` of one lease that ran out (`expireLease`); null when it was settled already. */
  private expire(id: string, attempt: number, now: number, opts: { decrement?: boolean } = {}): Promise<Settled | null> {
    return this.settleOne(() => this.store.expireLease(id, attempt, now), { ...opts, cause: 'lease' });
  }

  /**
   * Start-up: rebuild the index, expire leases that ran out while down, re-arm the rest, reconcile counters (see
   * CounterReconciler: a limiter unreachable at start does not stop start-up).
   */
  async recover(): Promise<void> {
    await this.sync.reload();
    // Shared: the counter fence is held before this instance's first counter write (the expiries below).
    if (this.sync.shared) await this.fence.start();
    const now = this.clock.now();
    for (const lease of await this.store.loadLeases()) {
      if (lease.expiresAt > now) {
        this.watch({ id: lease.id, attempt: lease.attempt, expiresAt: lease.expiresAt });
        continue;
      }
      // Alone on its store, start-up re-sets the counters below; shared, the others' counters must go down now.
      await this.expire(lease.id, lease.attempt, now, { decrement: this.sync.shared });
    }
    if (this.sync.shared) {
      // Other instances are running: the counters are recounted behind the fence (CounterFence.start), not here.
      this.counters.skipAtStart();
      this.sweep();
      return;
    }
    await this.counters.reconcileAtStart();
  }

  /**
   * Shared store: leases granted by other instances are expired here too, whoever sees them first (the store settles
   * each delivery once), so the items of an instance that died are delivered again or dead-lettered. Every
   * `timing.leaseSweepMs`, counted from the end of the previous sweep.
   */
  private sweep(): void {
    if (this.stopped) return;
    this.sweepTimer = this.scheduler.after(this.config.timing.leaseSweepMs, () => {
      void this.expireDue().finally(() => this.sweep());
    });
  }

  private async expireDue(): Promise<void> {
    try {
      const now = this.clock.now();
      for (const lease of await this.store.loadLeases({ dueBy: now, limit: 1_000 })) {
        await this.expire(lease.id, lease.attempt, now);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'lease sweep failed; retrying');
    }
  }

  private arm(): void {
    const next = this.deadlines.nextAt();
    if (next === null || next >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = next;
    this.timer = this.scheduler.after(next - this.clock.now(), () => this.fire());
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (const { id, attempt } of this.deadlines.popDue(now)) {
      this.expire(id, attempt, now).catch(
        (error: unknown) => {
          if (this.stopped) return;
          this.logger.error({ err: error, id }, 'lease expiry failed; retrying in 1 s');
          this.deadlines.push({ id, attempt }, now + 1_000);
          this.arm();
        },
      );
    }
    this.arm();
  }
}

export function toDelivery(item: StoredItem): Delivery {
  return {
    id: item.id,
    tags: item.tags,
    tagsJson: item.key,
    dataJson: item.data,
    attempt: item.attempt,
    timeoutMs: item.timeoutMs,
    expiresAt: new Date(item.expiresAt!).toISOString(),
  };
}
