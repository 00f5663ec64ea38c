import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { errorCode, ShuttingDownError } from '../../common/errors';
import { parseQuery } from '../../common/query';
import { Backoff, type Scheduler } from '../../common/scheduler';
import { canonicalTags, type Tags } from '../../common/tags';
import { CONFIG, type Config } from '../../config';
import { LIMITER_PORT, type LimiterPort } from '../../limiter';
import { ReadinessChecks } from '../../platform/health/readiness-checks';
import { SCHEDULER } from '../../platform/scheduler.token';
import { Dispatcher } from '../dispatch/dispatcher';
import { IndexSync } from '../dispatch/index-sync';
import { CounterGuard } from '../domain/leases/counter-guard';
import { decrementOpId, QUEUE_TAG, runningCounterTags, runningCounterTagsOf } from '../domain/leases/running-counter';
import { DecrementRetries } from './decrement-retries';

/**
 * Keeps every running counter equal to its channel's processing count (DESIGN §7.4: down exactly once, whatever the
 * path). A counter write that fails (a storage error, an unreachable limiter) or whose outcome is unknown marks the
 * counters lost; they are then re-set from the items processing, retried with backoff until the limiter and its store
 * answer again. Counter writes run inside `guarded` and reconciliation holds the guard alone, so it never races a
 * dequeue between its increment and its claim, or a settle between its index update and its decrement.
 *
 * A shared store (several instances) cannot be reconciled this way (another instance's increments are not guarded
 * here): there, a failed decrement is sent again until it lands (DecrementRetries; each carries an opId, so a retry
 * of one that did commit changes nothing), only an increment to an unreachable limiter triggers reconciliation, and
 * the counters are recounted from the database behind a fence every instance steps aside for (CounterFence: `aside`
 * and `recount`). For that, the store write that moves an item in or out of processing runs in the same hold as its
 * counter write (LeaseKeeper.settle, Gate.claimFrom, QueueAdminService).
 */
@Injectable()
export class CounterReconciler implements OnApplicationShutdown {
  private readonly logger = new Logger(CounterReconciler.name);
  private readonly guard = new CounterGuard();
  private readonly retries: DecrementRetries;
  private stopped = false;
  private lost = false;
  private retrying = false;
  private reconciled = false;
  private closed = false;
  /** Shared store: asks CounterFence for a recount (set by it as it starts). */
  private requestRecount: (() => void) | null = null;

  constructor(
    @Inject(LIMITER_PORT) private readonly limiter: LimiterPort,
    private readonly dispatcher: Dispatcher,
    private readonly sync: IndexSync,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CONFIG) private readonly config: Pick<Config, 'timing'>,
    @Optional() private readonly readiness?: ReadinessChecks,
  ) {
    this.retries = new DecrementRetries(limiter, (fn) => this.guarded(fn), scheduler, Backoff.retries(config.timing));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.retries.stop();
  }

  /** Runs a running-counter write together with the store and index changes it goes with (not nested). Refused
   * with SHUTTING_DOWN once `close` has begun. */
  guarded<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    return this.guard.shared(async () => {
      if (this.closed) throw new ShuttingDownError();
      return fn();
    });
  }

  /** Shutdown: waits for the counter writes in flight, refuses new ones, then runs `fn` (letting go of the fence). */
  close(fn: () => Promise<void>): Promise<void> {
    return this.guard.alone(async () => {
      this.closed = true;
      await fn();
    });
  }

  /** Shared store: `request` asks for a recount of every instance's counters behind the fence (CounterFence). */
  recountWith(request: () => void): void {
    this.requestRecount = request;
  }

  /**
   * The running counter of a channel goes down by one, once for what it settles (`what`: see `decrementOpId`). A
   * failure is never thrown: on a shared store the decrement is sent again until it lands; alone on its store, the
   * counters are reconciled.
   */
  decrement(tags: Tags, queue: string, what: string): Promise<void> {
    return this.decrementMany(queue, [{ counterTags: runningCounterTags(tags, queue), what }]);
  }

  /**
   * The running-counter tags of channel `key` (tags `tags`) of `queue`: while the index holds the channel, those the
   * Limiter last answered with for it (`runningCounterTagsOf`), else built.
   */
  counterTagsOf(queue: string, key: string, tags: Tags): Tags {
    const channel = this.dispatcher.peekIndex(queue)?.get(key);
    return channel ? runningCounterTagsOf(channel, queue) : runningCounterTags(tags, queue);
  }

  /**
   * `decrement` of several channels' counters (their running-counter tags, `counterTags`) in one Limiter call. Only a
   * shared store's decrements carry an opId: they are the ones sent again after a failure; alone on its store, a
   * failure re-sets the counters instead.
   */
  async decrementMany(queue: string, settled: ReadonlyArray<{ readonly counterTags: Tags; readonly what: string }>): Promise<void> {
    if (settled.length === 0) return;
    const shared = this.sync.shared;
    const changes = settled.map(({ counterTags, what }) => ({ tags: counterTags, counters: 1, opId: shared ? decrementOpId(what) : null }));
    try {
      await this.limiter.decrementMany(changes);
    } catch (error) {
      if (shared) {
        this.logger.error({ err: error, queue, opIds: changes.map((c) => c.opId) }, 'running counters could not be decremented; retrying');
        for (const change of changes) this.retries.add({ ...change, opId: change.opId! });
        this.watchReadiness();
        return;
      }
      this.logger.error({ err: error, queue }, 'running counters could not be decremented; reconciling');
      this.failed(error);
    }
  }

  /**
   * A running-counter write failed, or its outcome is unknown: reconcile in the background, as soon as it can. On a
   * shared store the index this instance holds does not show the other instances' writes in flight: the counters are
   * recounted behind the fence instead.
   */
  failed(error: unknown): void {
    if (this.sync.shared) {
      if (errorCode(error) === 'DEPENDENCY_UNAVAILABLE') this.requestRecount?.();
      return;
    }
    this.lost = true;
    if (this.reconciled) this.reconcileLater();
  }

  /** An increment failed: reconcile only if it may have counted (a remote limiter that did not answer). */
  incrementFailed(error: unknown): void {
    const code = errorCode(error);
    if (code === undefined || code === 'DEPENDENCY_UNAVAILABLE') this.failed(error);
    else this.unknownOutcome(error);
  }

  /**
   * Start-up, alone on the store: re-sets every running counter. A limiter that cannot be reached does not stop
   * start-up: reconciliation retries in the background, and readiness reports `counters` down until it succeeds.
   */
  async reconcileAtStart(): Promise<void> {
    try {
      await this.reconcile();
      this.reconciled = true;
    } catch (error) {
      if (errorCode(error) !== 'DEPENDENCY_UNAVAILABLE') throw error;
      this.logger.warn({ err: error }, 'limiter unreachable at start; reconciling running counters in the background');
      this.reconcileLater();
    }
  }

  /** Shared store: counters are freed by whoever settles each lease; nothing to re-set at start. */
  skipAtStart(): void {
    this.reconciled = true;
  }

  private reconcileLater(): void {
    this.reconciled = false;
    this.watchReadiness();
    void this.retry();
  }

  private async retry(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      const backoff = Backoff.retries(this.config.timing);
      while (!this.stopped) {
        await this.scheduler.sleep(backoff.next());
        if (this.stopped) return;
        try {
          await this.reconcile();
          if (this.lost) continue; // another write was lost meanwhile: go again
          this.reconciled = true;
          this.logger.log('running counters reconciled with the limiter');
          return;
        } catch (error) {
          this.lost = true;
          if (errorCode(error) !== 'DEPENDENCY_UNAVAILABLE') this.logger.error({ err: error }, 'reconciling running counters failed; retrying');
        }
      }
    } finally {
      this.retrying = false;
    }
  }

  /** Readiness reports `counters` (down until reconciled, or while decrements wait to be sent again) from the first
   * time either had to wait. */
  private watchReadiness(): void {
    this.readiness?.add('counters', async () => {
      if (!this.reconciled) throw new Error('running counters not yet reconciled with the limiter');
      const pending = this.retries.size;
      if (pending > 0) throw new Error(`${pending} running counter decrement(s) not yet applied; retrying`);
    });
  }

  /**
   * Shared store: runs `fn` with no counter write of this instance in flight and none starting (the guard alone), for
   * a recount of every instance's counters (CounterFence) while this one steps aside or recounts; `fn` answers whether
   * a recount ran meanwhile. If one did, decrements waiting to be sent again are dropped: their settlements committed,
   * so the recount, from the items processing in the database, counted them.
   */
  aside(fn: () => Promise<boolean>): Promise<boolean> {
    return this.guard.alone(async () => {
      const recounted = await fn();
      if (recounted) this.retries.clear();
      return recounted;
    });
  }

  /** Shared store: a store write that moves items in or out of processing, or a Limiter write, failed with its
   * outcome unknown (it may have committed, its answer lost): the counters are recounted. True when it was so. */
  unknownOutcome(error: unknown): boolean {
    if (!this.sync.shared || errorCode(error) !== 'STORE_UNAVAILABLE') return false;
    this.requestRecount?.();
    return true;
  }

  /** Sets every Willow running counter to its channel's processing count, with no counter write in flight. */
  private reconcile(): Promise<void> {
    return this.guard.alone(async () => {
      this.lost = false;
      this.retries.clear(); // what they would take away is not processing: the counters are re-set without it
      const processing = [...this.dispatcher.entries()].flatMap(([queue, index]) =>
        index.sorted().map((channel) => ({ queue, tags: channel.tags, processing: channel.processing })),
      );
      await this.recount(processing);
    });
  }

  /**
   * Sets every Willow running counter (tagged with QUEUE_TAG) to its channel's count in `processing`, 0 for the others:
   * this instance's index (`reconcile`), or a shared store's items processing read while every instance stood aside
   * (CounterFence, which passes `stillFenced`).
   */
  async recount(
    processing: Iterable<{ readonly queue: string; readonly tags: Tags; readonly processing: number }>,
    stillFenced: () => boolean = () => true,
  ): Promise<void> {
    const wanted = new Map<string, { tags: Tags; processing: number }>();
    for (const channel of processing) {
      const tags = runningCounterTags(channel.tags, channel.queue);
      if (channel.processing > 0) wanted.set(canonicalTags(tags), { tags, processing: channel.processing });
    }
    const query = parseQuery({ Where: { [QUEUE_TAG]: { $exists: true } } }, '');
    const set = async (change: { tags: Tags; counters: number }) => {
      // A recount that lost its fence stops: the others are writing again, and these values are from before.
      if (!stillFenced()) throw new Error('the counter fence was lost during a recount; stopped');
      await this.limiter.set(change);
    };
    for (let cursor: string | null = null; ; ) {
      const page = await this.limiter.listCounters(query, { limit: 10_000, cursor });
      for (const counter of page.items) {
        const key = canonicalTags(counter.tags);
        const actual = wanted.get(key)?.processing ?? 0;
        wanted.delete(key);
        if (actual !== counter.counters) await set({ tags: counter.tags, counters: actual });
      }
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    for (const { tags, processing } of wanted.values()) await set({ tags, counters: processing });
  }
}
