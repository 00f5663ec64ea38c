import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/**
 * The PostgreSQL Locker schema, applied in order by `PostgresStorage.migrate`. Times are epoch ms (BIGINT). Keys
 * sort with COLLATE "C", i.e. by code point, as listings must.
 */
export const LOCKER_PG_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-locks',
    sql: `
      CREATE SEQUENCE locker_fencing;
      CREATE TABLE locker_locks (
        key TEXT COLLATE "C" PRIMARY KEY,
        lock_id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL,
        fencing_token BIGINT NOT NULL,
        timeout_ms BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX locker_locks_expires ON locker_locks (expires_at);
      CREATE TABLE locker_expired_sessions (
        session_id TEXT PRIMARY KEY,
        lock_id TEXT NOT NULL,
        expired_at BIGINT NOT NULL
      );
      CREATE INDEX locker_expired_sessions_at ON locker_expired_sessions (expired_at);`,
  },
  {
    id: '002-waiters',
    sql: `
      CREATE SEQUENCE locker_tickets;
      CREATE TABLE locker_instances (
        instance_id TEXT PRIMARY KEY,
        seen_at BIGINT NOT NULL
      );
      CREATE TABLE locker_waiters (
        ticket BIGINT PRIMARY KEY DEFAULT nextval('locker_tickets'),
        key TEXT COLLATE "C" NOT NULL,
        instance_id TEXT NOT NULL,
        deadline BIGINT NOT NULL
      );
      CREATE INDEX locker_waiters_key ON locker_waiters (key, ticket);`,
  },
];
