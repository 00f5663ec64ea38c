import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/**
 * The PostgreSQL auth schema, applied in order by `PostgresStorage.migrate`: one table every instance shares, keys
 * stored as SHA-256 hashes only. Names sort with COLLATE "C" (code-point order), as listings must.
 */
export const AUTH_PG_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-keys',
    sql: `
      CREATE TABLE auth_keys (
        name TEXT COLLATE "C" PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        scopes TEXT[] NOT NULL,
        queues TEXT[],
        created_at BIGINT NOT NULL
      );`,
  },
];
