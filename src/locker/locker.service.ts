import { Inject, Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Clock } from '../common/clock';
import { ShuttingDownError } from '../common/errors';
import { isWellFormedId } from '../common/ids';
import type { Page, PageRequest } from '../common/page';
import { matches, type Query } from '../common/query';
import type { Scheduler } from '../common/scheduler';
import { canonicalTags } from '../common/tags';
import { CONFIG, type Config } from '../config';
import { CLOCK } from '../platform/clock.token';
import { SCHEDULER } from '../platform/scheduler.token';
import { ShutdownSignal } from '../platform/lifecycle/shutdown-signal';
import { FifoWaiters } from './domain/fifo-waiters';
import { LockNotFoundError, SessionInvalidError } from './domain/locker.errors';
import { checkAcquire } from './domain/validate';
import { LeaseTimers } from './lease-timers';
import { LOCKER_STORE, type LockerStore, type SessionOutcome, type StoredLock } from './locker.store';
import type { AcquireLock, LockerPort, LockGrant, LockInfo, LockSession } from './locker.port';
import { SharedPresence } from './shared-presence';
import { LockEvents } from './lock-events';

interface Waiter {
  readonly cmd: AcquireLock;
  readonly signal: AbortSignal | undefined;
  /** Place in the store's line, which orders waiters across instances on a shared store. */
  readonly ticket: number;
  /** When its acquire started (epoch ms), for the wait-time histogram. */
  readonly since: number;
  settle(result: LockGrant | null | Error): void;
}

/**
 * The Locker. The store keeps the line of waiters and only lets in the first live one, so the same code serves one
 * process (embedded store) and several instances sharing PostgreSQL; there, `SharedPresence` relays every instance's
 * releases, expiries and departures here, so the first waiter is offered the lock wherever it waits.
 */
@Injectable()
export class LockerService implements LockerPort, OnModuleInit, OnApplicationShutdown {
  private readonly waiters = new FifoWaiters<Waiter>((w) => w.ticket);
  private readonly leases: LeaseTimers;
  private readonly presence: SharedPresence | null;
  /** Keys whose first waiter is being offered the lock right now; a second offer waits for the first to finish. */
  private readonly pumping = new Map<string, boolean>();

  constructor(
    @Inject(LOCKER_STORE) private readonly store: LockerStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly shutdown: ShutdownSignal,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CONFIG) config: Pick<Config, 'timing'>,
    @Optional() private readonly events: LockEvents = new LockEvents(),
  ) {
    this.leases = new LeaseTimers(store, clock, scheduler, (lock) => {
      events.expired(lock);
      void this.pump(lock.key);
    });
    const time = { scheduler, timing: config.timing };
    const on = { freed: (key: string | null) => this.offer(key), expired: (lock: StoredLock) => events.expired(lock) };
    this.presence = store.shared && new SharedPresence(store.shared, store, clock, time, on);
    events.watch(store);
  }

  async onModuleInit(): Promise<void> {
    // Waiters end when shutdown starts, before Nest closes the HTTP server, so their 503 is still written.
    this.shutdown.signal.addEventListener('abort', () => this.endWaits(), { once: true });
    await this.store.expireAll(this.clock.now());
    for (let page = await this.store.listHeld(null, 1_000); page.length > 0; ) {
      for (const lock of page) this.leases.schedule(lock);
      page = await this.store.listHeld(page[page.length - 1].key, 1_000);
    }
    await this.presence?.start();
  }

  onApplicationShutdown(): void {
    this.presence?.stop();
    this.leases.clearAll();
    this.endWaits();
  }

  async acquire(cmd: AcquireLock, signal?: AbortSignal): Promise<LockGrant | null> {
    checkAcquire(cmd);
    if (this.shutdown.shuttingDown) throw new ShuttingDownError();
    const key = canonicalTags(cmd.tags);
    const since = this.clock.now();
    if (!this.waiters.has(key)) {
      const grant = await this.grant(key, cmd, null, since);
      if (grant || cmd.waitMs === 0) return grant;
    } else if (cmd.waitMs === 0) {
      return null;
    }
    if (signal?.aborted) return null;
    if (this.shutdown.shuttingDown) throw new ShuttingDownError();
    return this.queue(key, cmd, signal, since);
  }

  async heartbeat(cmd: LockSession): Promise<{ expiresAt: string }> {
    knownLock(cmd.lockId);
    const outcome = await this.store.renew(cmd.lockId, storableSession(cmd.sessionId), this.clock.now());
    const lock = this.unwrap(cmd.lockId, outcome);
    this.leases.schedule(lock);
    return { expiresAt: new Date(lock.expiresAt).toISOString() };
  }

  async release(cmd: LockSession): Promise<void> {
    knownLock(cmd.lockId);
    const outcome = await this.store.release(cmd.lockId, storableSession(cmd.sessionId), this.clock.now());
    const lock = this.unwrap(cmd.lockId, outcome);
    this.leases.clear(lock.key);
    this.events.released(lock);
    void this.pump(lock.key);
  }

  async list(query: Query, page: PageRequest): Promise<Page<LockInfo>> {
    const now = this.clock.now();
    const found: StoredLock[] = [];
    for (let cursor = page.cursor; ; ) {
      const batch = await this.store.listHeld(cursor, Math.max(page.limit, 256));
      if (batch.length === 0) return { items: await this.withWaiters(found, now), nextCursor: null };
      for (const lock of batch) {
        cursor = lock.key;
        if (lock.expiresAt <= now || !matches(query, lock.tags)) continue;
        found.push(lock);
        if (found.length === page.limit) return { items: await this.withWaiters(found, now), nextCursor: cursor };
      }
    }
  }

  private async withWaiters(locks: readonly StoredLock[], now: number): Promise<LockInfo[]> {
    const counts = await this.store.waiting(locks.map((l) => l.key), now);
    return locks.map((lock) => toInfo(lock, counts.get(lock.key) ?? 0));
  }

  /** Settles a store outcome: the lock, or the matching domain error (after handing on a lock that just expired). */
  private unwrap(lockId: string, outcome: SessionOutcome): StoredLock {
    if (outcome.kind === 'ok') return outcome.lock;
    if (outcome.kind === 'not_found') throw new LockNotFoundError(lockId);
    if (outcome.expired) {
      this.events.expired(outcome.expired);
      this.leases.clear(outcome.expired.key);
      void this.pump(outcome.expired.key);
    }
    throw new SessionInvalidError(lockId, outcome.reason);
  }

  private endWaits(): void {
    for (const waiter of [...this.waiters.all()]) waiter.settle(new ShuttingDownError());
  }

  private async grant(key: string, cmd: AcquireLock, ticket: number | null, since: number): Promise<LockGrant | null> {
    const lock = await this.store.tryGrant({ key, tags: cmd.tags, timeoutMs: cmd.timeoutMs, ticket }, this.clock.now());
    if (!lock) return null;
    this.leases.schedule(lock);
    this.events.granted(lock, since);
    return toGrant(lock);
  }

  /** Joins the store's line, then waits here until `pump` grants the lock, `waitMs` passes or `signal` aborts. */
  private async queue(key: string, cmd: AcquireLock, signal: AbortSignal | undefined, since: number): Promise<LockGrant | null> {
    const deadline = this.clock.now() + cmd.waitMs;
    const ticket = await this.store.join(key, deadline, this.clock.now());
    const leave = () => void this.store.leave(key, ticket).catch(() => undefined);
    if (signal?.aborted || this.shutdown.shuttingDown) {
      leave();
      if (signal?.aborted) return null;
      throw new ShuttingDownError();
    }
    return new Promise<LockGrant | null>((resolve, reject) => {
      const timer = this.scheduler.after(deadline - this.clock.now(), () => waiter.settle(null));
      const onAbort = () => waiter.settle(null);
      const waiter: Waiter = {
        cmd,
        signal,
        ticket,
        since,
        settle: (result) => {
          if (!this.waiters.remove(key, waiter)) return;
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
          if (result === null || result instanceof Error) leave();
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(key, waiter);
      // The lock may have been released between the failed try and joining the line.
      void this.pump(key);
    });
  }

  /** Offers `key` (null: every key with waiters here) to its first waiter here. */
  private offer(key: string | null): void {
    for (const k of key === null ? this.waiters.keys() : [key]) void this.pump(k);
  }

  /** Offers a free lock to the first waiter here, in ticket order, until one takes it or the store says no. */
  private async pump(key: string): Promise<void> {
    if (this.pumping.has(key)) {
      this.pumping.set(key, true);
      return;
    }
    this.pumping.set(key, false);
    try {
      for (let waiter = this.waiters.first(key); waiter; waiter = this.waiters.first(key)) {
        const grant = await this.grant(key, waiter.cmd, waiter.ticket, waiter.since);
        if (!grant) break;
        if (waiter.signal?.aborted || !this.waiters.includes(key, waiter)) {
          // The waiter left while the grant was being written: it must never hold the lock. Give it back.
          const given = await this.store.release(grant.lockId, grant.sessionId, this.clock.now());
          if (given.kind === 'ok') this.events.released(given.lock);
          this.leases.clear(key);
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

/** A LockID never handed out (e.g. with a NUL byte, which PostgreSQL cannot even hold) is an unknown lock. */
function knownLock(lockId: string): void {
  if (!isWellFormedId(lockId)) throw new LockNotFoundError(lockId);
}

/** A SessionID never handed out matches no session: it is passed on as '', which matches none either but every store
 * can hold (PostgreSQL refuses a NUL byte), so the answer stays LOCK_NOT_FOUND or SESSION_INVALID as for any other. */
function storableSession(sessionId: string): string {
  return isWellFormedId(sessionId) ? sessionId : '';
}
