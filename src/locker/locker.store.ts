import type { Tags } from '../common/tags';
import type { HeldLock } from './domain/lease';

export interface StoredLock extends HeldLock {
  readonly tags: Tags;
}

export type SessionOutcome =
  | { readonly kind: 'ok'; readonly lock: StoredLock }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'session_invalid'; readonly reason: string; readonly expired: StoredLock | null };

/**
 * Durable state of the Locker: held locks, the fencing sequence and the sessions whose lease ran out. Every method
 * is one atomic transaction; `now` comes from the service's clock so adapters are deterministic under test.
 */
export interface LockerStore {
  /** Grants `tags` to a new session when nobody holds it or the holder's lease ran out; `null` when held. The
   * fencing token comes from one durable sequence, so it rises with every grant, across restarts. */
  tryGrant(cmd: { readonly key: string; readonly tags: Tags; readonly timeoutMs: number }, now: number): Promise<StoredLock | null>;
  /** Extends the lease of `sessionId` to `now + timeoutMs`; an expired lease is removed and reported. */
  renew(lockId: string, sessionId: string, now: number): Promise<SessionOutcome>;
  /** Removes the lock if `sessionId` holds it. */
  release(lockId: string, sessionId: string, now: number): Promise<SessionOutcome>;
  /** Removes the lock held under `key` when its lease ran out by `now`; returns it, or null. */
  expire(key: string, now: number): Promise<StoredLock | null>;
  /** Removes every lease that ran out by `now` (used at start-up) and forgets old expired sessions. */
  expireAll(now: number): Promise<StoredLock[]>;
  /** Held locks ordered by key, strictly after `afterKey`. */
  listHeld(afterKey: string | null, limit: number): StoredLock[];
  close?(): void;
}

export const LOCKER_STORE = Symbol('LockerStore');
