import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Clock } from '../../common/clock';
import { Backoff, type Scheduler, type Timer } from '../../common/scheduler';
import { decodeTags } from '../../common/tags';
import { CONFIG, type Config } from '../../config';
import { CLOCK } from '../../platform/clock.token';
import { SCHEDULER } from '../../platform/scheduler.token';
import { ALREADY_COMMITTED, type ChannelDef, type PgChannel } from '../../platform/storage/postgres/pg-channel';
import type { PgFence } from '../../platform/storage/postgres/pg-fence';
import type { PostgresStorage } from '../../platform/storage/postgres/postgres-storage';
import { STORAGE, type StorageHandle } from '../../platform/storage/storage-handle';
import { WILLOW_STORE, type WillowStore } from '../willow.store';
import { CounterReconciler } from './counter-reconciler';

/** "Step aside: a recount is starting." The sender is in the envelope; the body says nothing more. */
const RECOUNT: ChannelDef<null> = {
  name: 'counters.recount',
  codec: { encode: () => '{}', decode: () => null, shrink: () => null },
  ignoreOwn: true,
};

/** Ticks a recount owed for a write whose outcome is unknown waits (see CounterFence). */
const GRACE_TICKS = 2;
/** Longest wait before trying again a recount that gave up. */
const MAX_RETRY_MS = 300_000;

/**
 * Shared store: repairs the running counters an instance that died leaves behind. An instance killed between a
 * Limiter increment and its claim, or between a settlement's commit and its decrement, leaves a counter one too high,
 * for good: nobody else knows. Every instance holds a PostgreSQL fence (PgFence) while it runs, and every counter write
 * of an instance runs with the store write it goes with inside one hold of its counter guard. A recount takes the
 * fence alone: every live instance steps aside (its guard held alone, so no counter write of it is in flight), and
 * the dead ones hold nothing. Every running counter then equals its channel's items processing in the database, and
 * is set so.
 *
 * A recount is owed when this instance starts (it may be the one that died), when a database session that held the
 * fence has ended (an instance died or stopped, or lost its connection; seen every `timing.catchUpMs`), when a
 * counter write's outcome is unknown (CounterReconciler), and `timing.recountMs` after the last one (a safety net).
 * One owed for an ended session waits GRACE_TICKS ticks first: a statement the dead instance sent just before it died
 * can still commit, and its connection-less backend can still be finishing one. A recount any instance starts after
 * the debt is due pays it. One that gave up (an instance did not step aside in time) is tried again with backoff.
 */
@Injectable()
export class CounterFence implements OnApplicationShutdown {
  private readonly logger = new Logger(CounterFence.name);
  private fence: PgFence | null = null;
  private pg: PostgresStorage | null = null;
  private channel: PgChannel<null> | null = null;
  /** Database sessions seen holding the fence (their backend pids), until they end. */
  private readonly seen = new Set<number>();
  /** When a recount is owed: the earliest time (epoch ms) a recount pays it; null when none is. */
  private owedFrom: number | null = null;
  /** When this instance last ran or stepped aside for a recount (epoch ms). */
  private lastRecountAt = 0;
  /** After a recount that gave up: not tried again before this (epoch ms), with its backoff. */
  private retryAt = 0;
  private readonly retries: Backoff;
  private busy = false;
  private stopped = false;
  private timer: Timer | null = null;

  constructor(
    @Inject(STORAGE) private readonly storage: StorageHandle,
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    private readonly counters: CounterReconciler,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Pick<Config, 'timing'>,
  ) {
    this.retries = new Backoff({ firstMs: Math.min(config.timing.catchUpMs, MAX_RETRY_MS), maxMs: MAX_RETRY_MS, jitter: 0 });
  }

  /** Shared store: listens for recounts, holds the fence (before any counter write of this instance), and recounts. */
  async start(): Promise<void> {
    if (this.storage.kind !== 'postgres') return;
    this.pg = this.storage;
    this.fence = this.storage.fence('counters');
    this.fence.onLost((error) => {
      this.logger.warn({ err: error }, 'the counter fence connection was lost; holding counter writes until it is back');
      void this.regain();
    });
    this.counters.recountWith(() => this.owe(this.clock.now() + this.graceMs));
    this.channel = this.storage.channel(RECOUNT);
    await this.channel.listen({ message: () => void this.stepAside(), resync: () => undefined });
    await this.fence.hold();
    this.owe(this.clock.now());
    await this.tick();
    if (!this.stopped) this.timer = this.scheduler.every(this.config.timing.catchUpMs, () => void this.tick());
  }

  /** Counter writes in flight end first, later ones are refused, and only then does this instance let go of the fence:
   * the others, seeing its session end, recount without a write of it still to land. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    const fence = this.fence;
    // Stepping aside or regaining, this instance relies on no hold: ending the connection first frees those waits.
    if (fence && !fence.fenced) await fence.close();
    await this.counters.close(async () => {
      await fence?.close();
    });
  }

  /** Notes the sessions holding the fence, and recounts when one is owed. */
  async tick(): Promise<void> {
    const fence = this.fence;
    if (!fence?.holding || this.busy || this.stopped) return;
    this.busy = true;
    try {
      const now = this.clock.now();
      const { holders, ended } = await fence.sessions([...this.seen]);
      for (const pid of ended) this.seen.delete(pid);
      for (const pid of holders) this.seen.add(pid);
      if (ended.length > 0) {
        this.logger.log({ sessions: ended }, 'an instance left the shared store; recounting running counters');
        this.owe(now + this.graceMs);
      }
      if (now - this.lastRecountAt >= this.config.timing.recountMs) this.owe(now);
      if (this.owedFrom !== null && now >= this.owedFrom && now >= this.retryAt) await this.recount(fence);
    } catch (error) {
      this.logger.warn({ err: error }, 'running counter recount failed; trying again');
    } finally {
      this.busy = false;
    }
  }

  /** A recount is owed, paid by one that starts at `from` or later. */
  private owe(from: number): void {
    this.owedFrom = Math.max(this.owedFrom ?? 0, from);
  }

  /** A recount started at `at` (by this instance or another): it pays what was owed by then. */
  private recounted(at: number): void {
    this.lastRecountAt = at;
    if (this.owedFrom !== null && at >= this.owedFrom) this.owedFrom = null;
  }

  private async recount(fence: PgFence): Promise<void> {
    let outcome = 'taken' as 'ran' | 'taken' | 'timed-out';
    const startedAt = this.clock.now();
    await this.counters.aside(async () => {
      outcome = await fence.alone(
        () => this.channel!.send(ALREADY_COMMITTED, null),
        async () => {
          await this.pg!.query('UPDATE willow_recounts SET generation = generation + 1, started_at = $1 WHERE id = 1', [startedAt]);
          const channels = await this.store.processingCounts();
          const processing = channels.map((c) => ({ queue: c.queue, tags: decodeTags(c.key), processing: c.processing }));
          await this.counters.recount(processing, () => fence.fenced);
        },
      );
      return outcome === 'ran';
    });
    if (outcome === 'ran') {
      this.recounted(startedAt);
      this.retries.reset();
      this.logger.log('running counters recounted from the items processing');
    } else if (outcome === 'timed-out') {
      const retryInMs = this.backOff();
      this.logger.warn({ retryInMs }, 'an instance did not step aside for a running counter recount; trying again later');
    }
    // taken: another instance is recounting; this one steps aside for it, which pays the debt if it came late enough.
  }

  /** Every instance waited for one that did not step aside: not again at once. */
  private backOff(): number {
    const waitMs = this.retries.next();
    this.retryAt = this.clock.now() + waitMs;
    return waitMs;
  }

  /** Another instance recounts: no counter write of this one in flight until it is done. Whether it ran is read
   * back from the database (a recount that gave up changed nothing, and pays no debt). */
  private async stepAside(): Promise<void> {
    const fence = this.fence;
    if (!fence?.holding || this.stopped) return;
    try {
      const before = await this.generation();
      let after = before;
      await this.counters.aside(async () => {
        await fence.stepAside();
        after = await this.generation();
        return after.generation > before.generation;
      });
      if (after.generation > before.generation) this.recounted(after.startedAt);
      else this.backOff();
    } catch (error) {
      this.logger.warn({ err: error }, 'stepping aside for a recount failed');
    }
  }

  private async generation(): Promise<{ generation: number; startedAt: number }> {
    const [row] = await this.pg!.query<{ generation: string; started_at: string }>('SELECT generation, started_at FROM willow_recounts WHERE id = 1');
    return { generation: Number(row.generation), startedAt: Number(row.started_at) };
  }

  /** Ticks of grace before a recount owed for a write whose outcome is unknown (an ended session, a lost answer). */
  private get graceMs(): number {
    return GRACE_TICKS * this.config.timing.catchUpMs;
  }

  /** The fence's connection was lost: no counter write until it holds the fence again; the others may have recounted
   * meanwhile, while a write of this instance was in flight, so a recount is owed. */
  private async regain(): Promise<void> {
    if (this.stopped) return;
    await this.counters.aside(async () => {
      const backoff = Backoff.retries(this.config.timing, { jitter: 0 });
      while (!this.stopped && !this.fence!.holding) {
        // (holding already: a second loss while regaining queued this one, and the first got it back)
        try {
          await this.fence!.hold();
        } catch (error) {
          this.logger.warn({ err: error }, 'the counter fence cannot be held yet; retrying');
          await this.scheduler.sleep(backoff.next());
        }
      }
      this.owe(this.clock.now() + this.graceMs);
      return false; // whether the others recounted meanwhile is not known: the recount owed sets it right
    });
  }
}
