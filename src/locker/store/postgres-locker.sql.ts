import { INSTANCE_TTL_MS } from '../locker.store';

/**
 * Every statement of the PostgreSQL Locker store. Times are epoch ms.
 *
 * Row locks: a grant, renew or release first locks the lock's row (FOR UPDATE), or inserts it with ON CONFLICT DO
 * NOTHING when there is none, so two grants of one key never both succeed. Deletes of due leases re-check
 * `expires_at` on the row's latest version, so a lease renewed or re-granted meanwhile stays, and each due lease is
 * removed by exactly one transaction.
 *
 * Keys: a row is found by `key_hash` (md5 of the key, the indexed column) and the whole key is compared as well, so
 * two keys with one md5 are never taken for one lock. Such a pair cannot both be held (the primary key is the md5):
 * the second is refused as if held, never granted as the first.
 */

const LOCK = 'key, lock_id, session_id, fencing_token, timeout_ms, expires_at';
/** The rows of `locker_locks` (or of an alias) whose key is the given parameter, found through the md5 index. */
const KEY_IS = (key: string, table = 'locker_locks') => `${table}.key_hash = md5(${key}::text) AND ${table}.key = ${key}::text`;

/** A waiter of `w` that counts at `now` (the given parameter): before its deadline, from an instance seen lately. */
function liveWaiter(now: string): string {
  return `w.deadline > ${now}::bigint AND EXISTS (SELECT 1 FROM locker_instances i
    WHERE i.instance_id = w.instance_id AND i.seen_at > ${now}::bigint - ${INSTANCE_TTL_MS})`;
}

/** $1 key. The holder's row, locked for this transaction. */
export const LOCK_BY_KEY = `SELECT ${LOCK} FROM locker_locks WHERE ${KEY_IS('$1')} FOR UPDATE`;

/** $1 lock_id. The holder's row, locked for this transaction. */
export const LOCK_BY_ID = `SELECT ${LOCK} FROM locker_locks WHERE lock_id = $1 FOR UPDATE`;

/** $1 key, $2 now. The first live waiter's ticket, or null. */
export const FIRST_LIVE_TICKET = `SELECT min(ticket) AS ticket FROM locker_waiters w WHERE ${KEY_IS('$1', 'w')} AND ${liveWaiter('$2')}`;

/**
 * $1 key, $2 lock_id, $3 session_id, $4 timeout_ms, $5 expires_at. No row when another grant inserted first. Every
 * unique index is an arbiter (no conflict target): the lock_id index is older than the key_hash primary key, so two
 * racing grants of one key may meet first on lock_id, which with `ON CONFLICT (key_hash)` was an error, not a no.
 */
export const INSERT_LOCK = `INSERT INTO locker_locks (${LOCK}) VALUES ($1, $2, $3, nextval('locker_fencing'), $4, $5)
  ON CONFLICT DO NOTHING RETURNING ${LOCK}`;

/** $1 key, $2 session_id, $3 timeout_ms, $4 expires_at. Hands a lock whose lease ran out to a new session. */
export const REGRANT_LOCK = `UPDATE locker_locks SET session_id = $2, fencing_token = nextval('locker_fencing'),
  timeout_ms = $3, expires_at = $4 WHERE ${KEY_IS('$1')} RETURNING ${LOCK}`;

/** $1 key, $2 expires_at. */
export const RENEW_LOCK = `UPDATE locker_locks SET expires_at = $2 WHERE ${KEY_IS('$1')}`;

/** $1 key. */
export const DELETE_LOCK = `DELETE FROM locker_locks WHERE ${KEY_IS('$1')}`;

/** $1 session_id, $2 lock_id, $3 expired_at. */
export const REMEMBER_EXPIRED = `INSERT INTO locker_expired_sessions (session_id, lock_id, expired_at) VALUES ($1, $2, $3)
  ON CONFLICT (session_id) DO UPDATE SET lock_id = EXCLUDED.lock_id, expired_at = EXCLUDED.expired_at`;

/** $1 session_id, $2 lock_id. A row when that session of that lock ran out. */
export const WAS_EXPIRED = 'SELECT 1 FROM locker_expired_sessions WHERE session_id = $1 AND lock_id = $2';

/** $1 before. Forgets expired sessions older than `before`. */
export const FORGET_EXPIRED = 'DELETE FROM locker_expired_sessions WHERE expired_at <= $1';

/** $1 key, $2 now. Removes the lock under key if its lease ran out, remembers its session, returns it. */
export const EXPIRE_KEY = `WITH gone AS (DELETE FROM locker_locks WHERE ${KEY_IS('$1')} AND expires_at <= $2 RETURNING ${LOCK}),
  remembered AS (INSERT INTO locker_expired_sessions (session_id, lock_id, expired_at) SELECT session_id, lock_id, $2 FROM gone
    ON CONFLICT (session_id) DO UPDATE SET lock_id = EXCLUDED.lock_id, expired_at = EXCLUDED.expired_at)
  SELECT ${LOCK} FROM gone`;

/** $1 now. Removes every lease that ran out, remembers their sessions, returns them. */
export const EXPIRE_DUE = `WITH gone AS (DELETE FROM locker_locks WHERE expires_at <= $1 RETURNING ${LOCK}),
  remembered AS (INSERT INTO locker_expired_sessions (session_id, lock_id, expired_at) SELECT session_id, lock_id, $1 FROM gone
    ON CONFLICT (session_id) DO UPDATE SET lock_id = EXCLUDED.lock_id, expired_at = EXCLUDED.expired_at)
  SELECT ${LOCK} FROM gone`;

/**
 * $1 after key ('' for the start), $2 limit. In key order (code points): the first 500 characters decide unless
 * equal, and `locker_locks_order` indexes them.
 */
export const LIST_HELD = `SELECT ${LOCK} FROM locker_locks
  WHERE left(key, 500) >= left($1::text, 500) AND (left(key, 500), key) > (left($1::text, 500), $1::text)
  ORDER BY left(key, 500), key LIMIT $2`;

/** $1 instance_id, $2 now. This instance is alive. */
export const TOUCH_INSTANCE = `INSERT INTO locker_instances (instance_id, seen_at) VALUES ($1, $2)
  ON CONFLICT (instance_id) DO UPDATE SET seen_at = GREATEST(locker_instances.seen_at, EXCLUDED.seen_at)`;

/** $1 key, $2 instance_id, $3 deadline. Returns the new waiter's ticket. */
export const INSERT_WAITER = 'INSERT INTO locker_waiters (key, instance_id, deadline) VALUES ($1, $2, $3) RETURNING ticket';

/** $1 ticket. Returns the key when the waiter was still in line. */
export const DELETE_WAITER = 'DELETE FROM locker_waiters WHERE ticket = $1 RETURNING key';

/** $1 now. Removes waiters that no longer count (deadline passed, instance dead) and returns their keys. */
export const PURGE_WAITERS = `DELETE FROM locker_waiters w WHERE NOT (${liveWaiter('$1')}) RETURNING key`;

/** $1 now. Forgets instances not seen for the TTL. */
export const FORGET_INSTANCES = `DELETE FROM locker_instances WHERE seen_at <= $1::bigint - ${INSTANCE_TTL_MS}`;

/** $1 now. Locks held (on locker_locks_expires) and live waiters, over every key. */
export const COUNTS = `SELECT (SELECT count(*)::int FROM locker_locks WHERE expires_at > $1::bigint) AS held,
  (SELECT count(*)::int FROM locker_waiters w WHERE ${liveWaiter('$1')}) AS waiters`;
/** $1 keys (text[]), $2 now. Live waiters per key; keys without any are absent. */
export const COUNT_WAITERS = `SELECT k.key, count(*)::int AS n FROM (SELECT DISTINCT unnest($1::text[]) AS key) k
  JOIN locker_waiters w ON ${KEY_IS('k.key', 'w')} WHERE ${liveWaiter('$2')} GROUP BY k.key`;
