import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/** The SQLite Locker schema, applied in order by `EmbeddedStorage.migrate`. */
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
