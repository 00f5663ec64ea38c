/** A held lock as the store keeps it. Times are epoch milliseconds. */
export interface HeldLock {
  readonly key: string;
  readonly lockId: string;
  readonly sessionId: string;
  readonly fencingToken: number;
  readonly timeoutMs: number;
  readonly expiresAt: number;
}

/** Expired sessions are remembered this long, so their late heartbeats get SESSION_INVALID rather than 404. */
export const EXPIRED_SESSION_MEMORY_MS = 86_400_000;

export type SessionCheck = { ok: true } | { ok: false; reason: 'wrong session' | 'lease ran out' };

/**
 * Whether `sessionId` may heartbeat or release `lock` at `now`. A lease is over at `expiresAt` exactly: a holder
 * that heartbeats at that instant has already lost the lock.
 */
export function checkSession(lock: HeldLock, sessionId: string, now: number): SessionCheck {
  if (lock.sessionId !== sessionId) return { ok: false, reason: 'wrong session' };
  if (isExpired(lock, now)) return { ok: false, reason: 'lease ran out' };
  return { ok: true };
}

export function isExpired(lock: Pick<HeldLock, 'expiresAt'>, now: number): boolean {
  return lock.expiresAt <= now;
}
