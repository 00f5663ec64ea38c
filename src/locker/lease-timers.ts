import type { Clock } from '../common/clock';
import type { Scheduler, Timer } from '../common/scheduler';
import type { LockerStore, StoredLock } from './locker.store';

/**
 * One timer per lock this process granted or renewed, firing when its lease runs out: the store removes the lock
 * (exactly once, whoever else tries too) and `onExpired` hands it on (the lock as it was). A lock renewed elsewhere meanwhile is simply
 * not due, and the store says so.
 */
export class LeaseTimers {
  private readonly timers = new Map<string, Timer>();

  constructor(
    private readonly store: LockerStore,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly onExpired: (lock: StoredLock) => void,
  ) {}

  schedule(lock: Pick<StoredLock, 'key' | 'expiresAt'>): void {
    this.clear(lock.key);
    const delay = Math.max(0, lock.expiresAt - this.clock.now());
    const timer = this.scheduler.after(delay, () => {
      this.timers.delete(lock.key);
      // Timers may fire a millisecond early against the wall clock; never let an early tick drop the expiry.
      if (this.clock.now() < lock.expiresAt) return this.schedule(lock);
      void this.store.expire(lock.key, this.clock.now()).then(
        (expired) => expired && this.onExpired(expired),
        () => this.schedule({ key: lock.key, expiresAt: this.clock.now() + 1_000 }),
      );
    });
    this.timers.set(lock.key, timer);
  }

  clear(key: string): void {
    const timer = this.timers.get(key);
    timer?.cancel();
    this.timers.delete(key);
  }

  clearAll(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }
}
