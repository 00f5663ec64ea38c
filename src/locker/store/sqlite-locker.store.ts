import { newId } from '../../common/ids';
import type { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import { checkSession, EXPIRED_SESSION_MEMORY_MS, isExpired } from '../domain/lease';
import { lockIdOf } from '../domain/lock-id';
import { WaitLine } from '../domain/wait-line';
import type { GrantRequest, LockerStore, SessionOutcome, StoredLock } from '../locker.store';
import { toLock } from './lock-row';
import { LOCKER_MIGRATIONS } from './sqlite-locker.migrations';

interface LockRow {
  key: string;
  lock_id: string;
  session_id: string;
  fencing_token: number;
  timeout_ms: number;
  expires_at: number;
}

/**
 * The Locker on the embedded store: one process. Locks, tokens and expired sessions are durable; the line of waiters
 * lives in memory, since waiters are connections of this process and end with it.
 */
export class SqliteLockerStore implements LockerStore {
  readonly shared = null;
  private readonly sql;
  private readonly line = new WaitLine();

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
      countHeld: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM locker_locks WHERE expires_at > ?'),
      listHeld: db.prepare<[string, number], LockRow>('SELECT * FROM locker_locks WHERE key > ? ORDER BY key LIMIT ?'),
    };
  }

  async tryGrant(cmd: GrantRequest, now: number): Promise<StoredLock | null> {
    const lock = await this.storage.write(() => {
      if (!this.line.mayGrant(cmd.key, cmd.ticket, now)) return null;
      const held = this.sql.byKey.get(cmd.key);
      if (held && !isExpired(toLock(held), now)) return null;
      if (held) this.remember(held, now);
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
    // Out of line once the grant is committed; until then the lock is held, so no one else can be let in.
    if (lock && cmd.ticket !== null) this.line.leave(cmd.key, cmd.ticket);
    return lock;
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

  async listHeld(afterKey: string | null, limit: number): Promise<StoredLock[]> {
    return this.storage.read(() => this.sql.listHeld.all(afterKey ?? '', limit).map(toLock));
  }

  async join(key: string, deadline: number): Promise<number> {
    return this.line.join(key, deadline);
  }

  async leave(key: string, ticket: number): Promise<void> {
    this.line.leave(key, ticket);
  }

  async waiting(keys: readonly string[], now: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const key of keys) {
      const n = this.line.count(key, now);
      if (n > 0) counts.set(key, n);
    }
    return counts;
  }

  async counts(now: number): Promise<{ held: number; waiters: number }> {
    return { held: this.storage.read(() => this.sql.countHeld.get(now)!.n), waiters: this.line.total(now) };
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
    this.remember(row, now);
    return toLock(row);
  }

  /** Remembers an expired session, and forgets those remembered long enough: while running, not only at start. */
  private remember(row: LockRow, now: number): void {
    this.sql.forgetExpired.run(now - EXPIRED_SESSION_MEMORY_MS);
    this.sql.rememberExpired.run(row.session_id, row.lock_id, now);
  }
}

