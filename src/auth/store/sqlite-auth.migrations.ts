import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/** The SQLite auth schema, applied in order by `EmbeddedStorage.migrate`. Keys are stored as SHA-256 hashes only. */
export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-keys',
    sql: `
      CREATE TABLE auth_keys (
        name TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        queues TEXT,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;`,
  },
];
