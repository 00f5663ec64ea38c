import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/**
 * Limiter tables. Ids of rules and overrides come from one sequence and are never reused, so an aggregate row can
 * only ever belong to the limit that created it. `limiter_counts` holds one row per (limit, group of key values)
 * with a non-zero sum: the rule's GroupBy projection, or the override's KeyValues.
 */
export const LIMITER_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-limiter',
    sql: `
      CREATE TABLE limiter_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
      INSERT INTO limiter_sequence (id, value) VALUES (1, 0);
      CREATE TABLE limiter_rules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        group_by TEXT NOT NULL,
        group_set TEXT NOT NULL UNIQUE,
        limit_value INTEGER NOT NULL
      );
      CREATE TABLE limiter_overrides (
        id INTEGER PRIMARY KEY,
        rule_id INTEGER NOT NULL REFERENCES limiter_rules (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        key_values TEXT NOT NULL,
        limit_value INTEGER NOT NULL,
        UNIQUE (rule_id, name),
        UNIQUE (rule_id, key_values)
      );
      CREATE TABLE limiter_counters (
        key TEXT PRIMARY KEY,
        counters INTEGER NOT NULL CHECK (counters > 0)
      ) WITHOUT ROWID;
      CREATE TABLE limiter_counts (
        limit_id INTEGER NOT NULL,
        group_key TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (limit_id, group_key)
      ) WITHOUT ROWID;`,
  },
  {
    // Idempotency keys of applied decrements (LimiterStore.decrement), pruned by age.
    id: '002-decrement-ops',
    sql: `
      CREATE TABLE limiter_decrement_ops (
        op_id TEXT PRIMARY KEY,
        applied_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX limiter_decrement_ops_age ON limiter_decrement_ops (applied_at);`,
  },
];
