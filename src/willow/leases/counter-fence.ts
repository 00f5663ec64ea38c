import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Scheduler, Timer } from '../../common/scheduler';
import { decodeTags } from '../../common/tags';
import { CONFIG, type Config } from '../../config';
import { SCHEDULER } from '../../platform/scheduler.token';
import { ALREADY_COMMITTED, type ChannelDef, type PgChannel } from '../../platform/storage/postgres/pg-channel';
import type { PgFence } from '../../platform/storage/postgres/pg-fence';
import { STORAGE, type StorageHandle } from '../../platform/storage/storage-handle';
import { WILLOW_STORE, type WillowStore } from '../willow.store';
import { CounterReconciler } from './counter-reconciler';

/** "Step aside: a recount is starting." The sender is in the envelope; the body says nothing more. */
const RECOUNT: ChannelDef<null> = {
  name: 'counters.recount',
  codec: { encode: () => '{}', decode: () => null, shrink: () => null },
  ignoreOwn: true,
};

/**
 * Shared store: repairs the running counters an instance that died leaves behind. An instance killed between a
 * Limiter increment and its claim, or between a settlement's commit and its decrement, leaves a counter one too high,
 * for good: nobody else knows. Every instance holds a PostgreSQL fence (PgFence) while it runs, and every counter write
 * of an instance runs with the store write it goes with inside one hold of its counter guard. A recount takes the
 * fence alone: every live instance steps aside (its guard held alone, so no counter write of it is in flight), and
 * the dead ones hold nothing. Every running counter then equals its channel's items processing in the database, and
 * is set so.
 *
 * A recount runs when this instance starts (it may be the one that died), whenever a database session that held the
 * fence has ended (an instance died, or was stopped), seen every `timing.catchUpMs`, and `timing.recountMs` after the
 * last one (a safety net, hourly by default); one that cannot run (the limiter unreachable, an instance slow to step
 * aside) is tried again at the next tick.
 */
@Injectable()
export class CounterFence implements OnApplicationShutdown {
  private readonly logger = new Logger(CounterFence.name);
  private fence: PgFence | null = null;
  private channel: PgChannel<null> | null = null;
  /** Database sessions seen holding the fence (their backend pids), until they end. */
  private readonly seen = new Set<number>();
  private wanted = false;
  private busy = false;
  private stopped = false;
  private timer: Timer | null = null;
  /** When this instance last ran or stepped aside for a recount (its clock's epoch ms). */
  private lastRecountAt = 0;

  constructor(
    @Inject(STORAGE) private readonly storage: StorageHandle,
    @Inject(WILLOW_STORE) private readonly store: WillowStore,
    private readonly counters: CounterReconciler,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CONFIG) private readonly config: Pick<Config, 'timing'>,
  ) {}

  /** Shared store: listens for recounts, holds the fence (before any counter write of this instance), and recounts. */
  async start(): Promise<void> {
    if (this.storage.kind !== 'postgres') return;
    this.fence = this.storage.fence('counters');
    this.fence.onLost((error) => {
      this.logger.warn({ err: error }, 'the counter fence connection was lost; holding counter writes until it is back');
      void this.regain();
    });
    // Listening first: a recount that starts while this instance takes its hold must find it listening.
    this.channel = this.storage.channel(RECOUNT);
    await this.channel.listen({ message: () => void this.stepAside(), resync: () => undefined });
    await this.fence.hold();
    this.wanted = true;
    await this.tick();
    this.timer = this.scheduler.every(this.config.timing.catchUpMs, () => void this.tick());
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.timer?.cancel();
    void this.fence?.close();
  }

  /** Notes the sessions holding the fence, and recounts when one seen before has ended (or a recount is owed). */
  async tick(): Promise<void> {
    const fence = this.fence;
    if (!fence?.holding || this.busy || this.stopped) return;
    this.busy = true;
    try {
      const { holders, ended } = await fence.sessions([...this.seen]);
      for (const pid of ended) this.seen.delete(pid);
      for (const pid of holders) this.seen.add(pid);
      if (ended.length > 0) {
        this.logger.log({ sessions: ended }, 'an instance left the shared store; recounting running counters');
        this.wanted = true;
      }
      if (Date.now() - this.lastRecountAt >= this.config.timing.recountMs) this.wanted = true;
      if (this.wanted) await this.recount(fence);
    } catch (error) {
      this.logger.warn({ err: error }, 'running counter recount failed; trying again');
    } finally {
      this.busy = false;
    }
  }

  private async recount(fence: PgFence): Promise<void> {
    let ran = false;
    await this.counters.aside(async () => {
      ran = await fence.alone(
        () => this.channel!.send(ALREADY_COMMITTED, null),
        async () => {
          const channels = await this.store.processingCounts();
          await this.counters.recount(channels.map((c) => ({ queue: c.queue, tags: decodeTags(c.key), processing: c.processing })));
        },
      );
    });
    if (!ran) return; // another instance recounts, or one did not step aside in time: the next tick tries again
    this.wanted = false;
    this.lastRecountAt = Date.now();
    this.logger.log('running counters recounted from the items processing');
  }

  /** Another instance recounts: no counter write of this one in flight until it is done. */
  private async stepAside(): Promise<void> {
    const fence = this.fence;
    if (!fence?.holding || this.stopped) return;
    this.lastRecountAt = Date.now();
    try {
      await this.counters.aside(() => fence.stepAside());
    } catch (error) {
      this.logger.warn({ err: error }, 'stepping aside for a recount failed');
    }
  }

  /** The fence's connection was lost: no counter write until it holds the fence again (then a recount is owed). */
  private async regain(): Promise<void> {
    if (this.stopped) return;
    await this.counters.aside(async () => {
      for (let waitMs = this.config.timing.retryFirstMs; !this.stopped; waitMs = Math.min(waitMs * 2, this.config.timing.retryMaxMs)) {
        try {
          await this.fence!.hold();
          this.wanted = true;
          return;
        } catch (error) {
          this.logger.warn({ err: error }, 'the counter fence cannot be held yet; retrying');
          await this.scheduler.sleep(waitMs);
        }
      }
    });
  }
}
