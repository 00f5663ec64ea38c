import type { QueryResultRow } from 'pg';
import { newId } from '../../common/ids';
import { inTransaction, type ChannelDef, type PgChannel } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import { checkSession, EXPIRED_SESSION_MEMORY_MS, isExpired } from '../domain/lease';
import { lockIdOf } from '../domain/lock-id';
import type { GrantRequest, LockerEvent, LockerStore, SessionOutcome, SharedLockerStore, StoredLock } from '../locker.store';
import { toLock } from './lock-row';
import { LOCKER_PG_MIGRATIONS } from './postgres-locker.migrations';
import * as q from './postgres-locker.sql';

/**
 * The locker's channel: a key whose lock may be free or whose waiter left (null, sent as '': some key, when the key is
 * too long to send). An instance hears its own notes too: they reach its waiters the same way as any other's.
 */
const FREED: ChannelDef<string | null> = {
  name: 'locker',
  codec: { encode: (key) => key ?? '', decode: (text) => (text === '' ? null : text), shrink: () => null },
  ignoreOwn: false,
};

interface LockRow extends QueryResultRow {
  key: string;
  lock_id: string;
  session_id: string;
  fencing_token: string;
  timeout_ms: string;
  expires_at: string;
}

/**
 * The Locker on PostgreSQL, shared by every instance on one schema. Locks, the fencing sequence, expired sessions and
 * the waiters of every instance live in `locker_*` tables; each method is one transaction (single-statement reads
 * run alone). Whatever frees a lock or lets a waiter go is sent on `FREED` inside its transaction, so waiters
 * anywhere are offered it once it commits.
 */
export class PostgresLockerStore implements LockerStore {
  readonly shared: SharedLockerStore = {
    beat: (now) => this.beat(now),
    watch: (listener) => this.watch(listener),
  };

  private readonly freed: PgChannel<string | null>;

  private constructor(private readonly storage: PostgresStorage) {
    this.freed = storage.channel(FREED);
  }

  static async open(storage: PostgresStorage): Promise<PostgresLockerStore> {
    await storage.migrate('locker', LOCKER_PG_MIGRATIONS);
    return new PostgresLockerStore(storage);
  }

  tryGrant(cmd: GrantRequest, now: number): Promise<StoredLock | null> {
    return this.storage.tx(async (sql) => {
      const held = await one<LockRow>(sql, q.LOCK_BY_KEY, [cmd.key]);
      if (held && !isExpired(toLock(held), now)) return null;
      const first = await one<{ ticket: string | null }>(sql, q.FIRST_LIVE_TICKET, [cmd.key, now]);
      if (first?.ticket != null && Number(first.ticket) !== cmd.ticket) return null;
      const sessionId = 'ss_' + newId();
      const expiresAt = now + cmd.timeoutMs;
      let row: LockRow | null;
      if (held) {
        await remember(sql, held, now);
        row = await one<LockRow>(sql, q.REGRANT_LOCK, [cmd.key, sessionId, cmd.timeoutMs, expiresAt]);
      } else {
        row = await one<LockRow>(sql, q.INSERT_LOCK, [cmd.key, lockIdOf(cmd.key), sessionId, cmd.timeoutMs, expiresAt]);
      }
      if (!row) return null;
      if (cmd.ticket !== null) await sql.query(q.DELETE_WAITER, [cmd.ticket]);
      return toLock(row);
    });
  }

  renew(lockId: string, sessionId: string, now: number): Promise<SessionOutcome> {
    return this.storage.tx(async (sql) => {
      const outcome = await this.checkHolder(sql, lockId, sessionId, now);
      if (outcome.kind !== 'ok') return outcome;
      const expiresAt = now + outcome.lock.timeoutMs;
      await sql.query(q.RENEW_LOCK, [outcome.lock.key, expiresAt]);
      return { kind: 'ok', lock: { ...outcome.lock, expiresAt } };
    });
  }

  release(lockId: string, sessionId: string, now: number): Promise<SessionOutcome> {
    return this.storage.tx(async (sql) => {
      const outcome = await this.checkHolder(sql, lockId, sessionId, now);
      if (outcome.kind !== 'ok') return outcome;
      await sql.query(q.DELETE_LOCK, [outcome.lock.key]);
      await this.freed.send(inTransaction(sql), outcome.lock.key);
      return outcome;
    });
  }

  expire(key: string, now: number): Promise<StoredLock | null> {
    return this.storage.tx(async (sql) => {
      const row = await one<LockRow>(sql, q.EXPIRE_KEY, [key, now]);
      if (!row) return null;
      await sql.query(q.FORGET_EXPIRED, [now - EXPIRED_SESSION_MEMORY_MS]);
      await this.freed.send(inTransaction(sql), key);
      return toLock(row);
    });
  }

  expireAll(now: number): Promise<StoredLock[]> {
    return this.storage.tx(async (sql) => {
      await sql.query(q.FORGET_EXPIRED, [now - EXPIRED_SESSION_MEMORY_MS]);
      const { rows } = await sql.query<LockRow>(q.EXPIRE_DUE, [now]);
      await this.freed.send(inTransaction(sql), ...rows.map((row) => row.key));
      return rows.map(toLock);
    });
  }

  async listHeld(afterKey: string | null, limit: number): Promise<StoredLock[]> {
    return (await this.storage.query<LockRow>(q.LIST_HELD, [afterKey ?? '', limit])).map(toLock);
  }

  join(key: string, deadline: number, now: number): Promise<number> {
    return this.storage.tx(async (sql) => {
      await sql.query(q.TOUCH_INSTANCE, [this.storage.instanceId, now]);
      const row = await one<{ ticket: string }>(sql, q.INSERT_WAITER, [key, this.storage.instanceId, deadline]);
      return Number(row!.ticket);
    });
  }

  leave(_key: string, ticket: number): Promise<void> {
    return this.storage.tx(async (sql) => {
      const row = await one<{ key: string }>(sql, q.DELETE_WAITER, [ticket]);
      if (row) await this.freed.send(inTransaction(sql), row.key);
    });
  }

  async waiting(keys: readonly string[], now: number): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const rows = await this.storage.query<{ key: string; n: number }>(q.COUNT_WAITERS, [keys, now]);
    return new Map(rows.map((r) => [r.key, r.n]));
  }

  async counts(now: number): Promise<{ held: number; waiters: number }> {
    const [row] = await this.storage.query<{ held: number; waiters: number }>(q.COUNTS, [now]);
    return row;
  }

  private beat(now: number): Promise<void> {
    return this.storage.tx(async (sql) => {
      await sql.query(q.TOUCH_INSTANCE, [this.storage.instanceId, now]);
      const { rows } = await sql.query<{ key: string }>(q.PURGE_WAITERS, [now]);
      await sql.query(q.FORGET_INSTANCES, [now]);
      await this.freed.send(inTransaction(sql), ...new Set(rows.map((r) => r.key)));
    });
  }

  private watch(listener: (event: LockerEvent) => void): Promise<void> {
    return this.freed.listen({
      message: (key) => listener({ kind: 'freed', key }),
      resync: () => listener({ kind: 'resync' }),
    });
  }

  private async checkHolder(sql: Tx, lockId: string, sessionId: string, now: number): Promise<SessionOutcome> {
    const row = await one<LockRow>(sql, q.LOCK_BY_ID, [lockId]);
    if (!row) {
      return (await one(sql, q.WAS_EXPIRED, [sessionId, lockId]))
        ? { kind: 'session_invalid', reason: 'lease ran out', expired: null }
        : { kind: 'not_found' };
    }
    const lock = toLock(row);
    const check = checkSession(lock, sessionId, now);
    if (check.ok) return { kind: 'ok', lock };
    if (!isExpired(lock, now)) return { kind: 'session_invalid', reason: check.reason, expired: null };
    await sql.query(q.DELETE_LOCK, [lock.key]);
    await remember(sql, { session_id: lock.sessionId, lock_id: lock.lockId }, now);
    await this.freed.send(inTransaction(sql), lock.key);
    return { kind: 'session_invalid', reason: check.reason, expired: lock };
  }
}

/** Remembers an expired session, and forgets those remembered long enough: while running, not only at start. */
async function remember(sql: Tx, row: Pick<LockRow, 'session_id' | 'lock_id'>, now: number): Promise<void> {
  await sql.query(q.FORGET_EXPIRED, [now - EXPIRED_SESSION_MEMORY_MS]);
  await sql.query(q.REMEMBER_EXPIRED, [row.session_id, row.lock_id, now]);
}

async function one<R extends QueryResultRow>(sql: Tx, text: string, params: unknown[]): Promise<R | null> {
  return (await sql.query<R>(text, params)).rows[0] ?? null;
}

