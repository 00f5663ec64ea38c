import { decodeTags } from '../../common/tags';
import type { StoredLock } from '../locker.store';

/** A row of `locker_locks` as either store reads it (PostgreSQL answers its BIGINT columns as strings). */
export interface LockRowLike {
  readonly key: string;
  readonly lock_id: string;
  readonly session_id: string;
  readonly fencing_token: number | string;
  readonly timeout_ms: number | string;
  readonly expires_at: number | string;
}

export function toLock(row: LockRowLike): StoredLock {
  return {
    key: row.key,
    lockId: row.lock_id,
    tags: decodeTags(row.key),
    sessionId: row.session_id,
    fencingToken: Number(row.fencing_token),
    timeoutMs: Number(row.timeout_ms),
    expiresAt: Number(row.expires_at),
  };
}
