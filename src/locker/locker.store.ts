import type { Tags } from '../common/tags';
import type { HeldLock } from './domain/lease';

export interface StoredLock extends HeldLock {
  readonly tags: Tags;
}

export type SessionOutcome =
  | { readonly kind: 'ok'; readonly lock: StoredLock }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'session_invalid'; readonly reason: string; readonly expired: StoredLock | null };

export interface GrantRequest {
  readonly key: string;
  readonly tags: Tags;
  readonly timeoutMs: number;
  /** The waiter's place in line (from `join`), or null for a newcomer that has not queued. */
  readonly ticket: number | null;
}

/** Something changed that may let a waiter in: a lock was freed or a waiter left, on any instance. `key` is null
 * when the key was too long to announce: every key with waiters should be offered again. */
export type LockerEvent = { readonly kind: 'freed'; readonly key: string | null } | { readonly kind: 'resync' };

/**
 * Durable state of the Locker: held locks, the fencing sequence, the sessions whose lease ran out, and the line of
 * waiters per lock. Every method is one atomic transaction; `now` comes from the service's clock so adapters are
 * deterministic under test.
 */
export interface LockerStore {
  /**
   * Grants `tags` to a new session when nobody holds it (or the holder's lease ran out) and the grant keeps arrival
   * order: `ticket` is the first live waiter in line, or no live waiter is queued at all. A granted ticket leaves the
   * line in the same transaction. `null` when held or not this ticket's turn. The fencing token comes from one
   * durable sequence, so it rises with every grant, across restarts and instances.
   */
  tryGrant(cmd: GrantRequest, now: number): Promise<StoredLock | null>;
  /** Extends the lease of `sessionId` to `now + timeoutMs`; an expired lease is removed and reported. */
  renew(lockId: string, sessionId: string, now: number): Promise<SessionOutcome>;
  /** Removes the lock if `sessionId` holds it. */
  release(lockId: string, sessionId: string, now: number): Promise<SessionOutcome>;
  /** Removes the lock held under `key` when its lease ran out by `now`; returns it, or null. Exactly once: of
   * concurrent calls (several instances) one removes it and the others get null. */
  expire(key: string, now: number): Promise<StoredLock | null>;
  /** Removes every lease that ran out by `now` (start-up, and the sweep on a shared store). Each removed lock is
   * returned by exactly one caller. Like every call that removes an expired lease, it forgets the expired sessions
   * remembered for more than EXPIRED_SESSION_MEMORY_MS (their late calls then get not_found). */
  expireAll(now: number): Promise<StoredLock[]>;
  /** Held locks ordered by key (code-point order), strictly after `afterKey`. */
  listHeld(afterKey: string | null, limit: number): Promise<StoredLock[]>;
  /** Queues a waiter for `key` until `deadline`; returns its ticket. Tickets rise in arrival order, across
   * instances on a shared store. A waiter past its deadline no longer holds anyone back. */
  join(key: string, deadline: number, now: number): Promise<number>;
  /** Takes a waiter out of line (timeout, disconnect, shutdown); a no-op when it already left or was granted. */
  leave(key: string, ticket: number): Promise<void>;
  /** Live waiters per key, for the listed `keys` (absent means none). */
  waiting(keys: readonly string[], now: number): Promise<Map<string, number>>;
  /** Locks held and live waiters at `now`, over every key (the gauges of /metrics; counted on indexes). */
  counts(now: number): Promise<{ readonly held: number; readonly waiters: number }>;
  /** Present when several instances share the store (PostgreSQL); null for an embedded store, whose one process
   * sees every change itself. */
  readonly shared: SharedLockerStore | null;
  close?(): void;
}

/** What a store shared by several instances adds: liveness of each instance's waiters, and change events. */
export interface SharedLockerStore {
  /** Marks this instance alive at `now`. Removes waiters whose deadline passed or whose instance has not been seen
   * for `INSTANCE_TTL_MS` (it crashed), and announces their keys, so they hold nobody back. */
  beat(now: number): Promise<void>;
  /** Calls `listener` for every lock freed (release, expiry) and every waiter gone, by any instance, this one
   * included, once listening has started (the returned promise); `resync` after a reconnect, as events were lost. */
  watch(listener: (event: LockerEvent) => void): Promise<void>;
}

/** How often an instance on a shared store says it is alive. */
export const INSTANCE_BEAT_MS = 2_000;
/** An instance not seen for this long is dead: its waiters are ignored and then removed. */
export const INSTANCE_TTL_MS = 10_000;

export const LOCKER_STORE = Symbol('LockerStore');
