import { decodeTags, type Tags } from '../../common/tags';
import { newId } from '../../common/ids';
import type { EmbeddedStorage, Migration } from '../../platform/storage/sqlite/embedded-storage';
import { checkSession, isExpired } from '../domain/lease';
import { lockIdOf } from '../domain/lock-id';
import type { LockerStore, SessionOutcome, StoredLock } from '../locker.store';

/** Expired sessions are remembered this long, so their late heartbeats get SESSION_INVALID rather than 404. */
const EXPIRED_SESSION_MEMORY_MS = 86_400_000;

export const LOCKER_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-locks',
    sql: `
      CREATE TABLE locker_locks (
        key TEXT PRIMARY KEY,
        lock_id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL,
        fencing_token INTEGER NOT NULL,
        timeout_ms INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX locker_locks_expires ON locker_locks (expires_at);
      CREATE TABLE locker_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
      INSERT INTO locker_sequence (id, value) VALUES (1, 0);
      CREATE TABLE locker_expired_sessions (
        session_id TEXT PRIMARY KEY,
        lock_id TEXT NOT NULL,
        expired_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX locker_expired_sessions_at ON locker_expired_sessions (expired_at);`,
  },
];

interface LockRow {
  key: string;
  lock_id: string;
  session_id: string;
  fencing_token: number;
  timeout_ms: number;
  expires_at: number;
}

export class SqliteLockerStore implements LockerStore {
  private readonly sql;

  constructor(private readonly storage: EmbeddedStorage) {
    storage.migrate('locker', LOCKER_MIGRATIONS);
    const db = storage.db;
    this.sql = {
      byKey: db.prepare<[string], LockRow>('SELECT * FROM locker_locks WHERE key = ?'),
      byId: db.prepare<[string], LockRow>('SELECT * FROM locker_locks WHERE lock_id = ?'),
      nextToken: db.prepare<[], { value: number }>('UPDATE locker_sequence SET value = value + 1 WHERE id = 1 RETURNING value'),
      upsert: db.prepare(`INSERT INTO locker_locks (key, lock_id, session_id, fencing_token, timeout_ms, expires_at)
        VALUES (@key, @lock_id, @session_id, @fencing_token, @timeout_ms, @expires_at)
        ON CONFLICT (key) DO UPDATE SET session_id = excluded.session_id, fencing_token = excluded.fencing_token,
          timeout_ms = excluded.timeout_ms, expires_at = excluded.expires_at`),
      renew: db.prepare('UPDATE locker_locks SET expires_at = ? WHERE key = ?'),
      remove: db.prepare('DELETE FROM locker_locks WHERE key = ?'),
      expiredRows: db.prepare<[number], LockRow>('SELECT * FROM locker_locks WHERE expires_at <= ?'),
      rememberExpired: db.prepare('INSERT OR REPLACE INTO locker_expired_sessions (session_id, lock_id, expired_at) VALUES (?, ?, ?)'),
      wasExpired: db.prepare<[string, string], { lock_id: string }>('SELECT lock_id FROM locker_expired_sessions WHERE session_id = ? AND lock_id = ?'),
      forgetExpired: db.prepare('DELETE FROM locker_expired_sessions WHERE expired_at <= ?'),
      listHeld: db.prepare<[string, number], LockRow>('SELECT * FROM locker_locks WHERE key > ? ORDER BY key LIMIT ?'),
    };
  }

  tryGrant(cmd: { key: string; tags: Tags; timeoutMs: number }, now: number): Promise<StoredLock | null> {
    return this.storage.write(() => {
      const held = this.sql.byKey.get(cmd.key);
      if (held && !isExpired(toLock(held), now)) return null;
      if (held) this.sql.rememberExpired.run(held.session_id, held.lock_id, now);
      const row: LockRow = {
        key: cmd.key,
        lock_id: lockIdOf(cmd.key),
        session_id: 'ss_' + newId(),
        fencing_token: this.sql.nextToken.get()!.value,
        timeout_ms: cmd.timeoutMs,
        expires_at: now + cmd.timeoutMs,
      };
      this.sql.upsert.run(row);
      return toLock(row);
    });
  }

  renew(lockId: string, sessionId: string, now: number): Promise<SessionOutcome> {
    return this.storage.write(() => {
      const outcome = this.checkHolder(lockId, sessionId, now);
      if (outcome.kind !== 'ok') return outcome;
      const expiresAt = now + outcome.lock.timeoutMs;
      this.sql.renew.run(expiresAt, outcome.lock.key);
      return { kind: 'ok', lock: { ...outcome.lock, expiresAt } };
    });
  }

  release(lockId: string, sessionId: string, now: number): Promise<SessionOutcome> {
    return this.storage.write(() => {
      const outcome = this.checkHolder(lockId, sessionId, now);
      if (outcome.kind === 'ok') this.sql.remove.run(outcome.lock.key);
      return outcome;
    });
  }

  expire(key: string, now: number): Promise<StoredLock | null> {
    return this.storage.write(() => {
      const row = this.sql.byKey.get(key);
      if (!row || !isExpired(toLock(row), now)) return null;
      return this.expireRow(row, now);
    });
  }

  expireAll(now: number): Promise<StoredLock[]> {
    return this.storage.write(() => {
      this.sql.forgetExpired.run(now - EXPIRED_SESSION_MEMORY_MS);
      return this.sql.expiredRows.all(now).map((row) => this.expireRow(row, now));
    });
  }

  listHeld(afterKey: string | null, limit: number): StoredLock[] {
    return this.storage.read(() => this.sql.listHeld.all(afterKey ?? '', limit).map(toLock));
  }

  private checkHolder(lockId: string, sessionId: string, now: number): SessionOutcome {
    const row = this.sql.byId.get(lockId);
    if (!row) {
      return this.sql.wasExpired.get(sessionId, lockId)
        ? { kind: 'session_invalid', reason: 'lease ran out', expired: null }
        : { kind: 'not_found' };
    }
    const lock = toLock(row);
    const check = checkSession(lock, sessionId, now);
    if (check.ok) return { kind: 'ok', lock };
    const expired = isExpired(lock, now) ? this.expireRow(row, now) : null;
    return { kind: 'session_invalid', reason: check.reason, expired };
  }

  private expireRow(row: LockRow, now: number): StoredLock {
    this.sql.remove.run(row.key);
    this.sql.rememberExpired.run(row.session_id, row.lock_id, now);
    return toLock(row);
  }
}

function toLock(row: LockRow): StoredLock {
  return {
    key: row.key,
    lockId: row.lock_id,
    tags: decodeTags(row.key),
    sessionId: row.session_id,
    fencingToken: row.fencing_token,
    timeoutMs: row.timeout_ms,
    expiresAt: row.expires_at,
  };
}
