/**
 * Every statement of the PostgreSQL Limiter store. Tag encodings are canonical (`canonicalTags`); rows are found by
 * the md5 of an encoding, which the tables keep as generated columns.
 *
 * Locks, always taken in this order, so no two transactions wait on each other in a cycle:
 * 1. the rules lock (advisory): shared by every counter transaction and every read of the rules, exclusive for a
 *    definition change. A counter write therefore runs entirely under one rules version, and a definition change
 *    (which recomputes aggregates over the counters) sees no counter write in flight. Advisory lock queues are fair,
 *    so a stream of counter writes cannot starve a definition change.
 * 2. one exclusive advisory lock per counter key and per enforced aggregate, taken in hash order: two increments of
 *    one group run one after the other, increments of disjoint groups never wait on each other's locks (an instance
 *    writes its counter writes one batch at a time, WriteBatcher).
 * 3. rows, written in (limit_id, group_hash) order; decrements' opId rows (RECORD_DECREMENT_OPS) before them.
 */

const RULES_LOCK = `hashtext('limiter.rules.' || current_schema()), 0`;

/** No parameters. */
export const LOCK_RULES = `SELECT pg_advisory_xact_lock(${RULES_LOCK})`;

/** No parameters. */
export const LOCK_RULES_SHARED = `SELECT pg_advisory_xact_lock_shared(${RULES_LOCK})`;

/** $1 lock names (text[]): the rules lock shared, then one exclusive lock per name, in hash order. */
export const LOCK_FOR_COUNTER = `SELECT pg_advisory_xact_lock_shared(${RULES_LOCK}),
  (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext('limiter.counters.' || current_schema()), h)
    FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) k ORDER BY h) sorted) locked)`;

/**
 * $1 counter keys (text[]), $2 limit ids (bigint[]), $3 group keys (text[]). The rules version, the counters in $1's
 * order (0 when absent) and the aggregates named by $2/$3 in that order (0 when absent). Run after the locks, so it
 * sees every write that committed before them.
 */
export const COUNTERS_STATE = `SELECT (SELECT rules_version FROM limiter_meta) AS version,
  ARRAY(SELECT coalesce(c.counters, 0) FROM unnest($1::text[]) WITH ORDINALITY AS k (key, i)
    LEFT JOIN limiter_counters c ON c.key_hash = md5(k.key) ORDER BY k.i) AS counters,
  ARRAY(SELECT coalesce(c.count, 0) FROM unnest($2::bigint[], $3::text[]) WITH ORDINALITY AS a (limit_id, group_key, i)
    LEFT JOIN limiter_counts c ON c.limit_id = a.limit_id AND c.group_hash = md5(a.group_key) ORDER BY a.i) AS counts`;

/**
 * $1 counter keys (text[], distinct), $2 their new values (bigint[]; 0 removes one), $3 limit ids (bigint[]), $4 group
 * keys (text[]), $5 deltas (bigint[]). Writes the counters and adds each delta to its aggregate (created when absent).
 */
export const WRITE_COUNTERS = `WITH written AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS w (key, value)),
  upserted AS (
    INSERT INTO limiter_counters (key, counters) SELECT key, value FROM written WHERE value > 0 ORDER BY md5(key)
    ON CONFLICT (key_hash) DO UPDATE SET counters = EXCLUDED.counters),
  removed AS (DELETE FROM limiter_counters WHERE key_hash IN (SELECT md5(key) FROM written WHERE value = 0))
  INSERT INTO limiter_counts (limit_id, group_key, count)
  SELECT limit_id, group_key, delta FROM unnest($3::bigint[], $4::text[], $5::bigint[]) AS a (limit_id, group_key, delta)
  ORDER BY limit_id, md5(group_key)
  ON CONFLICT (limit_id, group_hash) DO UPDATE SET count = limiter_counts.count + EXCLUDED.count`;

/** $1 limit ids (bigint[]), $2 group keys (text[]). Removes those aggregates that went down to 0. */
export const DELETE_EMPTY_COUNTS = `DELETE FROM limiter_counts c USING unnest($1::bigint[], $2::text[]) AS a (limit_id, group_key)
  WHERE c.limit_id = a.limit_id AND c.group_hash = md5(a.group_key) AND c.count <= 0`;

/**
 * $1 opIds (text[]), $2 the rules version each was planned under (bigint[], pairwise), $3 applied at (epoch ms).
 * Records the opIds of the decrements planned under the current rules version (the others are not applied), each once;
 * answers those that were not recorded yet. Run under the counters' locks, so two decrements of one counter with the
 * same opId run one after the other and the second finds the first's row (a same opId on another counter, a caller's
 * mistake, waits on the row instead); rows are written in opId order.
 */
export const RECORD_DECREMENT_OPS = `INSERT INTO limiter_decrement_ops (op_id, applied_at)
  SELECT DISTINCT o.op_id, $3::bigint FROM unnest($1::text[], $2::bigint[]) AS o (op_id, version)
  WHERE o.version = (SELECT rules_version FROM limiter_meta) ORDER BY o.op_id
  ON CONFLICT (op_id) DO NOTHING RETURNING op_id`;

/** $1 cut-off (epoch ms). Forgets the opIds applied before it. */
export const PRUNE_DECREMENT_OPS = 'DELETE FROM limiter_decrement_ops WHERE applied_at < $1';

/** $1 counters after this key ('' for the first page), $2 limit. In code-point order of the key. */
export const LIST_COUNTERS = `SELECT key, counters FROM limiter_counters
  WHERE left(key, 500) >= left($1::text, 500) AND (left(key, 500), key) > (left($1::text, 500), $1::text)
  ORDER BY left(key, 500), key LIMIT $2`;

/** $1 counters after this key hash ('' for the first page), $2 limit. Every counter, in no meaningful order. */
export const SCAN_COUNTERS = `SELECT key, counters, key_hash FROM limiter_counters WHERE key_hash > $1 ORDER BY key_hash LIMIT $2`;

/** No parameters. */
export const RULES_VERSION = 'SELECT rules_version AS version FROM limiter_meta';

/** No parameters. The new rules version; run under LOCK_RULES by every definition change. */
export const BUMP_RULES_VERSION = 'UPDATE limiter_meta SET rules_version = rules_version + 1 RETURNING rules_version AS version';

/** No parameters. An id for a new rule or override (never reused). */
export const NEXT_ID = `SELECT nextval('limiter_ids') AS id`;

const RULE = 'id, name, group_by, limit_value';
const OVERRIDE = 'id, rule_id, name, key_values, limit_value';

/** No parameters. */
export const RULES = `SELECT ${RULE} FROM limiter_rules ORDER BY id`;

/** No parameters. */
export const OVERRIDES = `SELECT ${OVERRIDE} FROM limiter_overrides ORDER BY id`;

/** $1 name. */
export const RULE_BY_NAME = `SELECT ${RULE} FROM limiter_rules WHERE name = $1`;

/** $1 group set (`groupSetKey`). */
export const RULE_BY_GROUP_SET = `SELECT ${RULE} FROM limiter_rules WHERE group_set_hash = md5($1::text)`;

/** $1 rule id. */
export const OVERRIDES_OF = `SELECT ${OVERRIDE} FROM limiter_overrides WHERE rule_id = $1 ORDER BY id`;

/** $1 rule id, $2 name. */
export const OVERRIDE_BY_NAME = `SELECT ${OVERRIDE} FROM limiter_overrides WHERE rule_id = $1 AND name = $2`;

/** $1 rule id, $2 canonical key values. */
export const OVERRIDE_BY_KEY_VALUES = `SELECT ${OVERRIDE} FROM limiter_overrides WHERE rule_id = $1 AND key_values_hash = md5($2::text)`;

/** $1 id, $2 name, $3 group_by (JSON array), $4 group set, $5 limit. */
export const INSERT_RULE = 'INSERT INTO limiter_rules (id, name, group_by, group_set, limit_value) VALUES ($1, $2, $3, $4, $5)';

/** $1 id, $2 rule id, $3 name, $4 canonical key values, $5 limit. */
export const INSERT_OVERRIDE = 'INSERT INTO limiter_overrides (id, rule_id, name, key_values, limit_value) VALUES ($1, $2, $3, $4, $5)';

/** $1 limit id, $2 group keys (text[]), $3 counts (bigint[]). A new limit's aggregates. */
export const INSERT_COUNTS = `INSERT INTO limiter_counts (limit_id, group_key, count)
  SELECT $1, group_key, count FROM unnest($2::text[], $3::bigint[]) AS a (group_key, count)`;

/** $1 rule id, $2 limit. */
export const SET_RULE_LIMIT = 'UPDATE limiter_rules SET limit_value = $2 WHERE id = $1';

/** $1 override id, $2 limit. */
export const SET_OVERRIDE_LIMIT = 'UPDATE limiter_overrides SET limit_value = $2 WHERE id = $1';

/** $1 rule id. Its overrides go with it (ON DELETE CASCADE). */
export const DELETE_RULE = 'DELETE FROM limiter_rules WHERE id = $1';

/** $1 override id. */
export const DELETE_OVERRIDE = 'DELETE FROM limiter_overrides WHERE id = $1';

/** $1 limit id. */
export const DELETE_COUNTS = 'DELETE FROM limiter_counts WHERE limit_id = $1';

/** $1 rule id. The aggregates of every override of the rule. */
export const DELETE_OVERRIDE_COUNTS = 'DELETE FROM limiter_counts WHERE limit_id IN (SELECT id FROM limiter_overrides WHERE rule_id = $1)';
