import type { Page, PageRequest } from '../common/page';
import type { Query } from '../common/query';
import type { Tags } from '../common/tags';

export interface AcquireLock {
  /** The exact tag set that names the lock. */
  readonly tags: Tags;
  /** Lease length; a heartbeat renews it by the same amount. */
  readonly timeoutMs: number;
  /** How long to queue behind the holder and earlier waiters; 0 = try once. */
  readonly waitMs: number;
}

export interface LockGrant {
  readonly lockId: string;
  readonly sessionId: string;
  readonly fencingToken: number;
  readonly tags: Tags;
  readonly timeoutMs: number;
  readonly expiresAt: string;
}

export interface LockSession {
  readonly lockId: string;
  readonly sessionId: string;
}

/** A held lock as listings show it: never the session id. */
export interface LockInfo {
  readonly lockId: string;
  readonly tags: Tags;
  readonly fencingToken: number;
  readonly expiresAt: string;
  readonly waiters: number;
}

/** Public facade of the Locker. In-process: LockerService; in another process: LockerRpcClient (WILLOW_LOCKER_URL). */
export interface LockerPort {
  /**
   * Grants the lock when no one holds it and no earlier waiter is queued; otherwise queues FIFO up to `waitMs`.
   * Resolves `null` (never throws) when not granted in time, or when `signal` aborts: an aborted waiter is never
   * granted. Rejects with SHUTTING_DOWN when the process stops while waiting.
   */
  acquire(cmd: AcquireLock, signal?: AbortSignal): Promise<LockGrant | null>;
  /** Renews the lease by the grant's timeout. LOCK_NOT_FOUND for an unknown lock, SESSION_INVALID for any session
   * that is not the current holder's (wrong, expired or superseded). */
  heartbeat(cmd: LockSession): Promise<{ readonly expiresAt: string }>;
  /** Releases the lock and grants it to the first waiter. Same errors as `heartbeat`. */
  release(cmd: LockSession): Promise<void>;
  /** Held locks matching `query`, ordered by the canonical encoding of their tags. */
  list(query: Query, page: PageRequest): Promise<Page<LockInfo>>;
}

export const LOCKER_PORT = Symbol('LockerPort');

export const LockerPatterns = {
  acquire: 'locker.acquire',
  cancelAcquire: 'locker.cancelAcquire',
  heartbeat: 'locker.heartbeat',
  release: 'locker.release',
  list: 'locker.list',
  ping: 'locker.ping',
} as const;
