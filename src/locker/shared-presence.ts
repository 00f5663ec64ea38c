import type { Clock } from '../common/clock';
import type { Scheduler, Timer } from '../common/scheduler';
import type { Timing } from '../config';
import { INSTANCE_BEAT_MS, type LockerStore, type SharedLockerStore, type StoredLock } from './locker.store';

export interface PresenceHandlers {
  /** A lock may be free or a waiter gone on `key` (null: on some key); offer it to the waiters here. */
  freed(key: string | null): void;
  /** This instance's sweep removed `lock`, whose lease ran out. */
  expired(lock: StoredLock): void;
}

/**
 * This instance's part in a Locker shared by several: it says it is alive (so its waiters count), sweeps leases that
 * ran out anywhere (an instance that died leaves its locks behind) and turns every instance's changes into offers to
 * the waiters here. Nothing of it runs on an embedded store.
 */
export class SharedPresence {
  private readonly timers = new Set<Timer>();
  private stopped = false;

  constructor(
    private readonly shared: SharedLockerStore,
    private readonly store: LockerStore,
    private readonly clock: Clock,
    private readonly time: { scheduler: Scheduler; timing: Pick<Timing, 'lockSweepMs'> },
    private readonly on: PresenceHandlers,
  ) {}

  async start(): Promise<void> {
    await this.shared.beat(this.clock.now());
    await this.shared.watch((event) => this.on.freed(event.kind === 'freed' ? event.key : null));
    this.every(INSTANCE_BEAT_MS, async () => {
      await this.shared.beat(this.clock.now());
      // A safety net, not the wake-up path: an offer lost to a store fault is made again within a beat.
      this.on.freed(null);
    });
    // Every instance removes leases that ran out, whoever granted them.
    this.every(this.time.timing.lockSweepMs, async () => {
      for (const lock of await this.store.expireAll(this.clock.now())) {
        this.on.expired(lock);
        this.on.freed(lock.key);
      }
    });
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
  }

  /** Runs `task` every `ms`, one run at a time; a failed run (store unreachable) is simply tried again next time. */
  private every(ms: number, task: () => Promise<void>): void {
    const tick = () => {
      this.timers.delete(timer);
      void task()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.every(ms, task);
        });
    };
    const timer = this.time.scheduler.after(ms, tick);
    this.timers.add(timer);
  }
}
