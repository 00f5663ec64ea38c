import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Clock } from '../common/clock';
import { ShuttingDownError } from '../common/errors';
import type { Page, PageRequest } from '../common/page';
import { matches, type Query } from '../common/query';
import { canonicalTags } from '../common/tags';
import { CLOCK } from '../platform/clock.token';
import { ShutdownSignal } from '../platform/lifecycle/shutdown-signal';
import { FifoWaiters } from './domain/fifo-waiters';
import { LockNotFoundError, SessionInvalidError } from './domain/locker.errors';
import { checkAcquire } from './domain/validate';
import { LOCKER_STORE, type LockerStore, type SessionOutcome, type StoredLock } from './locker.store';
import type { AcquireLock, LockerPort, LockGrant, LockInfo, LockSession } from './locker.port';

interface Waiter {
  readonly cmd: AcquireLock;
  readonly signal: AbortSignal | undefined;
  settle(result: LockGrant | null | Error): void;
}

@Injectable()
export class LockerService implements LockerPort, OnModuleInit, OnApplicationShutdown {
  private readonly waiters = new FifoWaiters<Waiter>();
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  /** Keys whose first waiter is being offered the lock right now; a second offer waits for the first to finish. */
  private readonly pumping = new Map<string, boolean>();

  constructor(
    @Inject(LOCKER_STORE) private readonly store: LockerStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly shutdown: ShutdownSignal,
  ) {}

  async onModuleInit(): Promise<void> {
    // Waiters end when shutdown starts, before Nest closes the HTTP server, so their 503 is still written.
    this.shutdown.signal.addEventListener('abort', () => this.endWaits(), { once: true });
    await this.store.expireAll(this.clock.now());
    for (let page = this.store.listHeld(null, 1_000); page.length > 0; ) {
      for (const lock of page) this.scheduleExpiry(lock);
      page = this.store.listHeld(page[page.length - 1].key, 1_000);
    }
  }

  onApplicationShutdown(): void {
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    this.endWaits();
  }

  async acquire(cmd: AcquireLock, signal?: AbortSignal): Promise<LockGrant | null> {
    checkAcquire(cmd);
    if (this.shutdown.shuttingDown) throw new ShuttingDownError();
    const key = canonicalTags(cmd.tags);
    if (!this.waiters.has(key)) {
      const grant = await this.grant(key, cmd);
      if (grant || cmd.waitMs === 0) return grant;
    } else if (cmd.waitMs === 0) {
      return null;
    }
    if (signal?.aborted) return null;
    if (this.shutdown.shuttingDown) throw new ShuttingDownError();
    return this.queue(key, cmd, signal);
  }

  async heartbeat(cmd: LockSession): Promise<{ expiresAt: string }> {
    const outcome = await this.store.renew(cmd.lockId, cmd.sessionId, this.clock.now());
    const lock = this.unwrap(cmd.lockId, outcome);
    this.scheduleExpiry(lock);
    return { expiresAt: new Date(lock.expiresAt).toISOString() };
  }

  async release(cmd: LockSession): Promise<void> {
    const outcome = await this.store.release(cmd.lockId, cmd.sessionId, this.clock.now());
    const lock = this.unwrap(cmd.lockId, outcome);
    this.clearExpiry(lock.key);
    void this.pump(lock.key);
  }

  async list(query: Query, page: PageRequest): Promise<Page<LockInfo>> {
    const now = this.clock.now();
    const items: LockInfo[] = [];
    let cursor = page.cursor;
    for (;;) {
      const batch = this.store.listHeld(cursor, Math.max(page.limit, 256));
      for (const lock of batch) {
        cursor = lock.key;
        if (lock.expiresAt <= now || !matches(query, lock.tags)) continue;
        items.push(toInfo(lock, this.waiters.count(lock.key)));
        if (items.length === page.limit) return { items, nextCursor: cursor };
      }
      if (batch.length === 0) return { items, nextCursor: null };
    }
  }

  /** Settles a store outcome: the lock, or the matching domain error (after handing on a lock that just expired). */
  private unwrap(lockId: string, outcome: SessionOutcome): StoredLock {
    if (outcome.kind === 'ok') return outcome.lock;
    if (outcome.kind === 'not_found') throw new LockNotFoundError(lockId);
    if (outcome.expired) this.onExpired(outcome.expired.key);
    throw new SessionInvalidError(lockId, outcome.reason);
  }

  private endWaits(): void {
    for (const waiter of [...this.waiters.all()]) waiter.settle(new ShuttingDownError());
  }

  private async grant(key: string, cmd: AcquireLock): Promise<LockGrant | null> {
    const lock = await this.store.tryGrant({ key, tags: cmd.tags, timeoutMs: cmd.timeoutMs }, this.clock.now());
    if (!lock) return null;
    this.scheduleExpiry(lock);
    return toGrant(lock);
  }

  private queue(key: string, cmd: AcquireLock, signal: AbortSignal | undefined): Promise<LockGrant | null> {
    return new Promise<LockGrant | null>((resolve, reject) => {
      const timer = setTimeout(() => waiter.settle(null), cmd.waitMs);
      const onAbort = () => waiter.settle(null);
      const waiter: Waiter = {
        cmd,
        signal,
        settle: (result) => {
          if (!this.waiters.remove(key, waiter)) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(key, waiter);
      // The lock may have been released between the failed try and joining the queue.
      void this.pump(key);
    });
  }

  /** Offers a free lock to the first waiter, in arrival order, until one takes it or the lock is held. */
  private async pump(key: string): Promise<void> {
    if (this.pumping.get(key)) {
      this.pumping.set(key, true);
      return;
    }
    this.pumping.set(key, false);
    try {
      for (let waiter = this.waiters.first(key); waiter; waiter = this.waiters.first(key)) {
        const grant = await this.grant(key, waiter.cmd);
        if (!grant) break;
        if (waiter.signal?.aborted || this.waiters.first(key) !== waiter) {
          // The waiter left while the grant was being written: it must never hold the lock. Give it back.
          await this.store.release(grant.lockId, grant.sessionId, this.clock.now());
          this.clearExpiry(key);
          continue;
        }
        waiter.settle(grant);
        break;
      }
    } catch {
      // A store fault leaves the waiters queued; the next release, expiry or arrival offers the lock again.
    } finally {
      const again = this.pumping.get(key);
      this.pumping.delete(key);
      if (again) void this.pump(key);
    }
  }

  private scheduleExpiry(lock: StoredLock): void {
    this.clearExpiry(lock.key);
    const delay = Math.max(0, lock.expiresAt - this.clock.now());
    const timer = setTimeout(() => {
      this.expiryTimers.delete(lock.key);
      // Timers may fire a millisecond early against the wall clock; never let an early tick drop the expiry.
      if (this.clock.now() < lock.expiresAt) return this.scheduleExpiry(lock);
      void this.store.expire(lock.key, this.clock.now()).then(
        (expired) => expired && this.onExpired(lock.key),
        () => this.scheduleExpiry({ ...lock, expiresAt: this.clock.now() + 1_000 }),
      );
    }, delay);
    timer.unref();
    this.expiryTimers.set(lock.key, timer);
  }

  private onExpired(key: string): void {
    this.clearExpiry(key);
    void this.pump(key);
  }

  private clearExpiry(key: string): void {
    const timer = this.expiryTimers.get(key);
    if (timer) clearTimeout(timer);
    this.expiryTimers.delete(key);
  }
}

function toGrant(lock: StoredLock): LockGrant {
  return {
    lockId: lock.lockId,
    sessionId: lock.sessionId,
    fencingToken: lock.fencingToken,
    tags: lock.tags,
    timeoutMs: lock.timeoutMs,
    expiresAt: new Date(lock.expiresAt).toISOString(),
  };
}

function toInfo(lock: StoredLock, waiters: number): LockInfo {
  return {
    lockId: lock.lockId,
    tags: lock.tags,
    fencingToken: lock.fencingToken,
    expiresAt: new Date(lock.expiresAt).toISOString(),
    waiters,
  };
}
