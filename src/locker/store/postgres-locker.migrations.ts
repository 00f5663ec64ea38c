import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/**
 * The PostgreSQL Locker schema, applied in order by `PostgresStorage.migrate`. Times are epoch ms (BIGINT). Keys
 * sort with COLLATE "C", i.e. by code point, as listings must. A key (a canonical tag encoding) can be longer than a
 * b-tree entry may be, so from 003 on no index holds a whole key: locks are unique on its md5 (a generated column),
 * waiters are found by it, and the listing orders by a bounded prefix, then the whole key (as the Limiter does).
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
  {
    // Upgrades a schema made by 001 and 002 in place: the generated columns are filled from the rows already there
    // (a rewrite of two small tables), the lock's primary key moves from the key to its md5 without changing
    // which rows are distinct, and the waiters' index is rebuilt on the md5.
    id: '003-key-hashes',
    sql: `
      ALTER TABLE locker_locks ADD COLUMN key_hash TEXT GENERATED ALWAYS AS (md5(key)) STORED;
      ALTER TABLE locker_locks DROP CONSTRAINT locker_locks_pkey;
      ALTER TABLE locker_locks ADD CONSTRAINT locker_locks_pkey PRIMARY KEY (key_hash);
      CREATE INDEX locker_locks_order ON locker_locks (left(key, 500));
      ALTER TABLE locker_waiters ADD COLUMN key_hash TEXT GENERATED ALWAYS AS (md5(key)) STORED;
      DROP INDEX locker_waiters_key;
      CREATE INDEX locker_waiters_key ON locker_waiters (key_hash, ticket);`,
  },
];
