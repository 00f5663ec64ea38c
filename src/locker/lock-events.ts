import { Inject, Injectable, Optional } from '@nestjs/common';
import { systemClock, type Clock } from '../common/clock';
import { CLOCK } from '../platform/clock.token';
import { NO_OBSERVER, OBSERVER, type EventType, type Observer } from '../platform/observability/observer.port';
import type { LockerStore, StoredLock } from './locker.store';

/** What the Locker tells observability, each after its change committed: grants, releases, expiries, wait times. */
@Injectable()
export class LockEvents {
  constructor(
    @Optional() @Inject(OBSERVER) private readonly observer: Observer = NO_OBSERVER,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  /** The gauges of held locks and waiters, read from `store` at each scrape. */
  watch(store: LockerStore): void {
    this.observer.gauges({ locks: () => store.counts(this.clock.now()) });
  }

  /** A lock granted to an acquire that started at `since` (epoch ms). */
  granted(lock: StoredLock, since: number): void {
    const at = this.clock.now();
    this.observer.lockWaited(Math.max(0, at - since) / 1_000);
    this.emit('lock.granted', lock, at);
  }

  released(lock: StoredLock): void {
    this.emit('lock.released', lock, this.clock.now());
  }

  expired(lock: StoredLock): void {
    this.emit('lock.expired', lock, this.clock.now());
  }

  private emit(type: EventType, lock: StoredLock, at: number): void {
    this.observer.emit({ type, queue: null, id: lock.lockId, tags: lock.tags, at, key: lock.key });
  }
}
