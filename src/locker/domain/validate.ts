import { LIMITS, parseDuration } from '../../common/duration';
import { optional, parseToken, readFields } from '../../common/fields';
import { fieldPath } from '../../common/names';
import { parseTags } from '../../common/tags';
import type { AcquireLock } from '../locker.port';

export const LOCK_TIMEOUT_DEFAULT_MS = 30_000;
export const LOCK_WAIT_DEFAULT_MS = 30_000;
export const SESSION_ID_MAX_LENGTH = 256;

const LEASE = { minMs: LIMITS.leaseMinMs, maxMs: LIMITS.leaseMaxMs };
const WAIT = { minMs: 0, maxMs: LIMITS.waitMaxMs };

/** The one judge of an acquire: `{KeyValues, Timeout?, Wait?}`, absent durations taking their defaults. */
export function parseAcquire(raw: unknown, path: string): AcquireLock {
  const f = readFields(raw, path, ['KeyValues', 'Timeout', 'Wait']);
  return {
    tags: parseTags(f.KeyValues, fieldPath(path, 'KeyValues')),
    timeoutMs: optional(f.Timeout, LOCK_TIMEOUT_DEFAULT_MS, (v) => parseDuration(v, fieldPath(path, 'Timeout'), LEASE)),
    waitMs: optional(f.Wait, LOCK_WAIT_DEFAULT_MS, (v) => parseDuration(v, fieldPath(path, 'Wait'), WAIT)),
  };
}

/** An acquire from a caller without the HTTP body (in-process or RPC), judged by `parseAcquire` in its wire form. */
export function checkAcquire(cmd: AcquireLock): AcquireLock {
  return parseAcquire({ KeyValues: cmd?.tags, Timeout: cmd?.timeoutMs, Wait: cmd?.waitMs }, '');
}

/** A heartbeat's `{SessionID}`. */
export function parseLockSession(raw: unknown, path: string): { sessionId: string } {
  const f = readFields(raw, path, ['SessionID']);
  return { sessionId: parseToken(f.SessionID, fieldPath(path, 'SessionID'), SESSION_ID_MAX_LENGTH) };
}

/** A release's `{SessionID?}` (it may come as `?SessionID=` instead). */
export function parseReleaseLock(raw: unknown, path: string): { sessionId: string | undefined } {
  const f = readFields(raw, path, ['SessionID']);
  return { sessionId: optional(f.SessionID, undefined, (v) => parseToken(v, fieldPath(path, 'SessionID'), SESSION_ID_MAX_LENGTH)) };
}
