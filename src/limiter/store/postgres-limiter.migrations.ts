import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/**
 * The PostgreSQL Limiter schema, applied in order by `PostgresStorage.migrate`; the same model as the SQLite store.
 * Ids of rules and overrides come from one sequence and are never reused, so an aggregate row can only ever belong
 * to the limit that created it. `limiter_meta.rules_version` rises with every definition change. Tag encodings can
 * be longer than a b-tree entry may be, so uniqueness is on their md5 (generated columns), and listings order by a
 * bounded prefix, then the whole key, in code-point order (COLLATE "C").
 */
export const LIMITER_PG_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-limiter',
    sql: `
      CREATE SEQUENCE limiter_ids;
      CREATE TABLE limiter_meta (id INTEGER PRIMARY KEY CHECK (id = 1), rules_version BIGINT NOT NULL);
      INSERT INTO limiter_meta (id, rules_version) VALUES (1, 0);
      CREATE TABLE limiter_rules (
        id BIGINT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        group_by TEXT NOT NULL,
        group_set TEXT NOT NULL,
        group_set_hash TEXT GENERATED ALWAYS AS (md5(group_set)) STORED UNIQUE,
        limit_value BIGINT NOT NULL
      );
      CREATE TABLE limiter_overrides (
        id BIGINT PRIMARY KEY,
        rule_id BIGINT NOT NULL REFERENCES limiter_rules (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        key_values TEXT NOT NULL,
        key_values_hash TEXT GENERATED ALWAYS AS (md5(key_values)) STORED,
        limit_value BIGINT NOT NULL,
        UNIQUE (rule_id, name),
        UNIQUE (rule_id, key_values_hash)
      );
      CREATE TABLE limiter_counters (
        key TEXT COLLATE "C" NOT NULL,
        key_hash TEXT GENERATED ALWAYS AS (md5(key)) STORED PRIMARY KEY,
        counters BIGINT NOT NULL CHECK (counters > 0)
      );
      CREATE INDEX limiter_counters_order ON limiter_counters (left(key, 500));
      CREATE TABLE limiter_counts (
        limit_id BIGINT NOT NULL,
        group_key TEXT NOT NULL,
        group_hash TEXT GENERATED ALWAYS AS (md5(group_key)) STORED,
        count BIGINT NOT NULL,
        PRIMARY KEY (limit_id, group_hash)
      );`,
  },
  {
    // Idempotency keys of applied decrements (LimiterStore.decrement), pruned by age.
    id: '002-decrement-ops',
    sql: `
      CREATE TABLE limiter_decrement_ops (
        op_id TEXT PRIMARY KEY,
        applied_at BIGINT NOT NULL
      );
      CREATE INDEX limiter_decrement_ops_age ON limiter_decrement_ops (applied_at);`,
  },
];
