/**
 * Every statement of the PostgreSQL Willow store. States (domain/item.ts): 0 waiting, 1 processing, 2 dead. Times are epoch ms.
 *
 * Locks, always taken in this order, so no two transactions wait on each other in a cycle:
 * 1. the queue's advisory lock: shared by every write that adds or removes items (enqueue, settle, expiry,
 *    requeue, channel delete), exclusive for `updateQueue` and `deleteQueue`, which recount or drop the items;
 * 2. one exclusive advisory lock per channel an enqueue writes (taken in hash order), so two enqueues of one channel
 *    collapse into each other as if sent one by one;
 * 3. item rows (FOR UPDATE). A claim takes only its row, with SKIP LOCKED: it never waits.
 *
 * Channels: `willow_items_line` indexes md5(channel), not the channel, which may be longer than an index entry may
 * be. Every statement that names a channel compares both (CHANNEL_IS), so it uses the index and two channels with one
 * md5 stay two channels.
 */

const ITEM = `seq, id, queue, channel, state, data, updateable, retry_attempts, retry_front, timeout_ms, attempt, expires_at, last_error,
  priority, not_before, retry_delay_ms, retry_exponential, enqueued_at`;
/** The items of channel `key` (a parameter or column): the indexed md5, then the whole text. */
const CHANNEL_IS = (key: string) => `md5(channel) = md5(${key}::text) AND channel = ${key}::text`;
const QUEUE_KEY = `hashtext('willow.queue.' || current_schema()), hashtext($1::text)`;
const LIVE_COUNT = 'SELECT count(*)::int FROM willow_items i WHERE i.queue = q.name AND i.state IN (0, 1)';
/** The waiting items of the channel `key` of `queue` (SQL expressions), as the FROM and WHERE of a probe. */
const WAITING_IN = (queue: string, key: string) => `FROM willow_items WHERE queue = ${queue} AND ${CHANNEL_IS(key)} AND state = 0`;
/**
 * The first waiting item of the channel `key` of `queue` (SQL expressions) by priority, higher first, then by place:
 * the best of a positive priority (willow_items_ranked), else the first of priority 0 by place (willow_items_line),
 * else the best of a negative priority.
 */
const HEAD_OF = (queue: string, key: string) => {
  const waiting = WAITING_IN(queue, key);
  return `coalesce(
    (SELECT seq ${waiting} AND priority <> 0 AND priority > 0 ORDER BY priority DESC, seq LIMIT 1),
    (SELECT seq ${waiting} AND priority = 0 ORDER BY seq LIMIT 1),
    (SELECT seq ${waiting} AND priority <> 0 ORDER BY priority DESC, seq LIMIT 1))`;
};
/**
 * The first waiting item of the channel `key` of `queue` (HEAD_OF) as a row (seq, priority, not_before), for a LATERAL
 * join; `when` is a condition to meet first. Its LIMIT keeps it a probe per channel, by primary key: without one,
 * PostgreSQL may pull the subquery up into a hash join of the channels against a sequential scan of every item (seen:
 * 10 channels of a queue of 19k items, 1,029 buffers and 9-12 ms under load, against 106 buffers and 0.18 ms).
 */
const HEAD_ROW_OF = (queue: string, key: string, when: string) =>
  `(SELECT seq, priority, not_before FROM willow_items f WHERE ${when} AND f.seq = ${HEAD_OF(queue, key)} LIMIT 1)`;
/** A channel's counts with its first waiting item (HEAD_OF). */
const CHANNEL_LOAD = `SELECT c.*, h.seq AS head, h.priority AS head_priority, h.not_before AS head_due_at FROM (
  SELECT queue, channel, count(*) FILTER (WHERE state = 0)::int AS waiting, count(*) FILTER (WHERE state = 1)::int AS processing
  FROM willow_items`;
const CHANNEL_HEAD = `) c LEFT JOIN LATERAL ${HEAD_ROW_OF('c.queue', 'c.channel', 'c.waiting > 0')} h ON true`;

/** $1 queue. */
export const LOCK_QUEUE_SHARED = `SELECT pg_advisory_xact_lock_shared(${QUEUE_KEY})`;
/** $1 queue. */
export const LOCK_QUEUE_EXCLUSIVE = `SELECT pg_advisory_xact_lock(${QUEUE_KEY})`;
/** $1 queue, $2 channel keys (text[]): the queue lock shared, then each channel's lock in hash order. */
export const LOCK_FOR_ENQUEUE = `SELECT pg_advisory_xact_lock_shared(${QUEUE_KEY}),
  (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext('willow.channel.' || current_schema()), h)
    FROM (SELECT DISTINCT hashtext($1::text || chr(10) || k) AS h FROM unnest($2::text[]) k ORDER BY h) sorted) locked)`;

/** $1 name, $2 max_items, $3 now. No row when the name is taken. */
export const INSERT_QUEUE = `INSERT INTO willow_queues (name, max_items, items, created_at) VALUES ($1, $2, 0, $3)
  ON CONFLICT (name) DO NOTHING RETURNING name`;
/** $1 name. */
export const QUEUE_EXISTS = 'SELECT 1 FROM willow_queues WHERE name = $1';
/** $1 name. `items` is the real count: the stored one when bounded, a count otherwise. */
export const QUEUE = `SELECT name, max_items, CASE WHEN max_items >= 0 THEN items ELSE (${LIVE_COUNT}) END AS items, paused
  FROM willow_queues q WHERE name = $1`;
/** $1 names after this one ('' for the first page), $2 limit. */
export const LIST_QUEUES = `SELECT name, max_items, CASE WHEN max_items >= 0 THEN items ELSE (${LIVE_COUNT}) END AS items,
  paused FROM willow_queues q WHERE name > $1 ORDER BY name LIMIT $2`;
/** $1 name, $2 max_items, $3 items. */
export const SET_MAX_ITEMS = 'UPDATE willow_queues SET max_items = $2, items = $3 WHERE name = $1';
/** $1 name, $2 paused. */
export const SET_PAUSED = 'UPDATE willow_queues SET paused = $2 WHERE name = $1';
/** $1 name or null (every queue). The names of the paused queues. */
export const PAUSED_QUEUES = 'SELECT name FROM willow_queues WHERE paused AND ($1::text IS NULL OR name = $1::text)';
/** $1 name, $2 items to add. No row when they do not fit under max_items (QUEUE_FULL). */
export const RESERVE_ITEMS = `UPDATE willow_queues SET items = items + $2 WHERE name = $1 AND items + $2 <= max_items
  RETURNING items`;
/** $1 name, $2 items removed. Only a bounded queue keeps its count. */
export const RELEASE_ITEMS = 'UPDATE willow_queues SET items = items - $2 WHERE name = $1 AND max_items >= 0';
/** $1 name. Returns the items that were processing. */
export const DELETE_QUEUE_ITEMS = `WITH gone AS (DELETE FROM willow_items WHERE queue = $1 RETURNING ${ITEM})
  SELECT * FROM gone WHERE state = 1 ORDER BY seq`;
/** $1 name. */
export const DELETE_QUEUE = 'DELETE FROM willow_queues WHERE name = $1';

/** Per channel key `k.channel` of $2, the seq of its last waiting item: one backward index probe each. */
const LAST_WAITING_OF_KEYS = `unnest($2::text[]) AS k(channel) CROSS JOIN LATERAL (SELECT seq FROM willow_items
    WHERE queue = $1 AND ${CHANNEL_IS('k.channel')} AND state = 0 ORDER BY seq DESC LIMIT 1) AS last`;
/**
 * $1 queue, $2 channel keys (text[]). The queue's max_items (no row: no such queue) with the last waiting item of each
 * channel (one row per channel that has one; null columns when none has). Only an updateable one is locked, the item
 * the enqueue may change: `state = 0` is checked again on the locked row, so an item claimed meanwhile is left out and
 * the enqueue appends instead of changing it. A last item that is not updateable is only read (the channel locks keep
 * other enqueues from changing it): locked, a claim would skip it, and hand out the item behind it when the last item
 * is first in line by its priority.
 */
export const ENQUEUE_STATE = `SELECT q.max_items, t.seq, t.id, t.channel, t.updateable, t.priority FROM willow_queues q
  LEFT JOIN LATERAL (SELECT i.seq, i.id, i.channel, i.updateable, i.priority
      FROM ${LAST_WAITING_OF_KEYS} JOIN willow_items i ON i.seq = last.seq
      WHERE i.state = 0 AND NOT i.updateable
    UNION ALL
    SELECT * FROM (SELECT i.seq, i.id, i.channel, i.updateable, i.priority
      FROM ${LAST_WAITING_OF_KEYS} JOIN willow_items i ON i.seq = last.seq
      WHERE i.state = 0 AND i.updateable FOR UPDATE OF i) updateable) t ON true
  WHERE q.name = $1`;
/** $1 queue, $2 channel keys (text[]). The last waiting seq of each channel, unlocked. */
export const LAST_WAITING_SEQS = `SELECT k.channel, last.seq FROM ${LAST_WAITING_OF_KEYS}`;
/** $1 seqs, $2 data, $3 updateable, $4 retry_attempts, $5 retry_front, $6 timeout_ms, $7 priority, $8 retry_delay_ms,
 * $9 retry_exponential (arrays). Attempts and LastError reset (new data, new history); place and due time kept. */
export const COLLAPSE = `UPDATE willow_items i SET data = u.data, updateable = u.updateable,
  retry_attempts = u.retry_attempts, retry_front = u.retry_front, timeout_ms = u.timeout_ms, attempt = 0, last_error = NULL,
  priority = u.priority, retry_delay_ms = u.retry_delay_ms, retry_exponential = u.retry_exponential
  FROM unnest($1::bigint[], $2::text[], $3::boolean[], $4::int[], $5::boolean[], $6::bigint[], $7::smallint[], $8::bigint[],
    $9::boolean[]) AS u(seq, data, updateable, retry_attempts, retry_front, timeout_ms, priority, retry_delay_ms, retry_exponential)
  WHERE i.seq = u.seq AND i.state = 0`;
/** $1 queue, $2 ids, $3 channels, $4 data, $5 updateable, $6 retry_attempts, $7 retry_front, $8 timeout_ms,
 * $9 priority, $10 retry_delay_ms, $11 retry_exponential, $12 enqueued_at, $13 not_before (arrays); seqs are drawn in
 * array order. */
export const INSERT_ITEMS = `INSERT INTO willow_items
  (seq, id, queue, channel, state, data, updateable, retry_attempts, retry_front, timeout_ms, attempt, enqueued_at,
    priority, not_before, retry_delay_ms, retry_exponential)
  SELECT nextval('willow_item_seq'), u.id, $1, u.channel, 0, u.data, u.updateable, u.retry_attempts, u.retry_front,
    u.timeout_ms, 0, u.enqueued_at, u.priority, u.not_before, u.retry_delay_ms, u.retry_exponential
  FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::boolean[], $8::bigint[], $9::smallint[],
    $10::bigint[], $11::boolean[], $12::bigint[], $13::bigint[])
    WITH ORDINALITY AS u(id, channel, data, updateable, retry_attempts, retry_front, timeout_ms, priority, retry_delay_ms,
      retry_exponential, enqueued_at, not_before, ord)
  ORDER BY u.ord`;

/** $1..$13 as INSERT_ITEMS, $14 channel keys (text[], distinct). Appends, unless a channel ends in an updateable
 * waiting item (migration 008 has the statuses). */
export const APPEND_ITEMS = `SELECT status, items, max_items FROM willow_append_items($1, $14::text[], $2::text[], $3::text[], $4::text[],
  $5::boolean[], $6::int[], $7::boolean[], $8::bigint[], $9::smallint[], $10::bigint[], $11::boolean[], $12::bigint[],
  $13::bigint[])`;

/**
 * $1 queue, $2 channel keys (text[], distinct), $3 now, $4 how many of each (int[], pairwise). In each channel, the
 * first n waiting items (by priority, then place) that no concurrent claim holds become processing, each if it is due
 * by now and no item before it in line is waiting to become due (willow_claim_heads, migration 011, which says how).
 * One call; the function's statement is planned once per connection. The columns are named, not `*`: a prepared
 * statement whose result gained a column (a later migration's) would fail on the connections that hold it.
 */
export const CLAIM_HEADS = `SELECT ${ITEM} FROM willow_claim_heads($1, $2::text[], $3::bigint, $4::int[])`;
/** $1 queue, $2 ids (text[]), $3 attempts (bigint[], null: any), $4 nows (bigint[]), pairwise. The items of the
 * current deliveries among them whose lease has not run out, deleted (migration 013). */
export const ACK_ITEMS = `SELECT ${ITEM} FROM willow_ack_items($1, $2::text[], $3::bigint[], $4::bigint[])`;
/** $1 id. */
export const ITEM_BY_ID = `SELECT ${ITEM} FROM willow_items WHERE id = $1`;
/** $1 queue, $2 id, $3 attempt or null (bigint: any safe integer compares), $4 now. No row unless that delivery is
 * current and its lease has not run out by now. */
export const RENEW = `UPDATE willow_items SET expires_at = $4::bigint + timeout_ms
  WHERE id = $2 AND queue = $1 AND state = 1 AND ($3::bigint IS NULL OR attempt = $3::bigint) AND expires_at > $4::bigint
  RETURNING ${ITEM}`;
/** $1 queue, $2 ids (text[]). The items of `queue` among `ids` whatever their state, locked in id order, with the
 * queue's max_items (read after the queue lock, so it cannot change before commit). */
export const LOCK_ITEMS = `SELECT ${ITEM}, (SELECT max_items FROM willow_queues WHERE name = $1) AS max_items
  FROM willow_items WHERE queue = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`;
/** $1 id, $2 attempt, $3 now. The queue of that delivery if its lease ran out (unlocked pre-check). */
export const DUE_ITEM = `SELECT queue FROM willow_items WHERE id = $1 AND state = 1 AND attempt = $2 AND expires_at <= $3`;
/** $1 queue. Whether the queue keeps a count, read after its lock. */
export const QUEUE_BOUND = 'SELECT max_items FROM willow_queues WHERE name = $1';
/** $1 seqs (bigint[]). */
export const DELETE_ITEMS = 'DELETE FROM willow_items WHERE seq = ANY($1::bigint[])';
/** $1 seqs, $2 reason, $3 now, $4 last errors (text[], pairwise with the seqs). */
export const TO_DEAD = `UPDATE willow_items i SET state = 2, expires_at = NULL, not_before = NULL, dead_reason = $2, dead_at = $3,
  last_error = u.last_error FROM unnest($1::bigint[], $4::text[]) AS u(seq, last_error) WHERE i.seq = u.seq`;
/** $1 old seqs, $2 new seqs (bigint[], pairwise; equal for a front retry), $3 last errors (text[], pairwise), $4 due
 * times (bigint[], pairwise; null: at once). */
export const TO_WAITING = `UPDATE willow_items i SET state = 0, expires_at = NULL, seq = u.new_seq, last_error = u.last_error,
  not_before = u.not_before
  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) AS u(old_seq, new_seq, last_error, not_before)
  WHERE i.seq = u.old_seq`;
/** $1 how many. Fresh places at the back of the line, in order. */
export const NEXT_SEQS = `SELECT nextval('willow_item_seq') AS seq FROM generate_series(1, $1::int) ORDER BY 1`;
/** $1 seq. */
export const GIVE_BACK = 'UPDATE willow_items SET state = 0, attempt = attempt - 1, expires_at = NULL WHERE seq = $1';

/** $1 queue, $2 channel key. Returns the removed items. */
export const DELETE_CHANNEL = `DELETE FROM willow_items WHERE queue = $1 AND ${CHANNEL_IS('$2')} AND state IN (0, 1)
  RETURNING ${ITEM}`;
/** $1 queue, $2 seqs after this one (-1 for the first page), $3 limit. */
export const LIST_DEAD = `SELECT ${ITEM}, dead_reason, dead_at FROM willow_items
  WHERE queue = $1 AND state = 2 AND seq > $2 ORDER BY seq LIMIT $3`;
/** $1 queue, $2 id. */
export const LOCK_DEAD = `SELECT ${ITEM} FROM willow_items WHERE id = $2 AND queue = $1 AND state = 2 FOR UPDATE`;
/** $1 seq. To the back of its channel with attempts reset. */
export const REQUEUE = `UPDATE willow_items SET state = 0, attempt = 0, dead_reason = NULL, dead_at = NULL, not_before = NULL,
  seq = nextval('willow_item_seq') WHERE seq = $1 RETURNING ${ITEM}`;
/** $1 queue, $2 id. */
export const DELETE_DEAD = 'DELETE FROM willow_items WHERE id = $2 AND queue = $1 AND state = 2 RETURNING seq';

/** $1 queue, $2 channel keys (text[]). */
export const CHANNEL_STATES = `${CHANNEL_LOAD} WHERE queue = $1
  AND md5(channel) = ANY(ARRAY(SELECT md5(k) FROM unnest($2::text[]) k)) AND channel = ANY($2::text[]) AND state IN (0, 1)
  GROUP BY queue, channel ${CHANNEL_HEAD}`;
/** $1 queue, $2 channel keys (text[]), $3 cap. The head of each channel that has a waiting item, with its waiting
 * items counted up to $3 (0 counts nothing): willow_channel_heads (migration 012), index probes per channel, planned
 * once per connection. Columns named, as CLAIM_HEADS' are. */
export const CHANNEL_HEADS = 'SELECT channel, seq, priority, not_before, waiting FROM willow_channel_heads($1, $2::text[], $3::int)';
/** No parameters. */
export const LOAD_CHANNELS = `${CHANNEL_LOAD} WHERE state IN (0, 1) GROUP BY queue, channel ${CHANNEL_HEAD}`;
/** $1 queue. */
export const LOAD_QUEUE_CHANNELS = `${CHANNEL_LOAD} WHERE queue = $1 AND state IN (0, 1) GROUP BY queue, channel ${CHANNEL_HEAD}`;
/** $1 queue, $2 now. Waiting items not yet due, on willow_items_due. */
export const COUNT_SCHEDULED = `SELECT count(*)::int AS n FROM willow_items
  WHERE queue = $1 AND state = 0 AND not_before IS NOT NULL AND not_before > $2::bigint`;
/** $1 queue. Its dead letters, on willow_items_dead (queue, seq) WHERE state = 2. */
export const COUNT_DEAD = 'SELECT count(*)::int AS n FROM willow_items WHERE queue = $1 AND state = 2';
/** $1 queue, $2 now, $3 channel keys (text[]). Per channel among them: waiting items not yet due, the earliest due. */
export const SCHEDULED_OF = `SELECT channel, count(*)::int AS n, min(not_before) AS next FROM willow_items
  WHERE queue = $1 AND state = 0 AND not_before IS NOT NULL AND not_before > $2::bigint AND channel = ANY($3::text[])
  GROUP BY channel`;
/** No parameters. */
export const LOAD_LEASES = 'SELECT id, attempt, expires_at FROM willow_items WHERE state = 1';
/** Items processing per channel (on willow_items_leases, WHERE state = 1). */
export const PROCESSING_COUNTS = 'SELECT queue, channel, count(*)::int AS processing FROM willow_items WHERE state = 1 GROUP BY queue, channel';
/** $1 due by, $2 limit. */
export const DUE_LEASES = `SELECT id, attempt, expires_at FROM willow_items WHERE state = 1 AND expires_at <= $1
  ORDER BY expires_at LIMIT $2`;

/** $1 queue, $2 id. A waiting or processing item with its enqueue time and, while waiting, the waiting items ahead of
 * it in its channel (a higher priority, or the same and an earlier place), counted on `willow_items_ranked` (items of
 * another priority than 0) and `willow_items_line` (priority 0), never a scan of the queue. */
const AHEAD = (cond: string) => `(SELECT count(*)::int FROM willow_items a WHERE a.queue = i.queue
  AND md5(a.channel) = md5(i.channel) AND a.channel = i.channel AND a.state = 0 AND ${cond})`;
export const INSPECT_ITEM = `SELECT ${ITEM}, CASE WHEN i.state = 0 THEN
    ${AHEAD('a.priority > i.priority')} + ${AHEAD('a.priority = i.priority AND a.seq < i.seq')}
  END AS position
  FROM willow_items i WHERE i.id = $2 AND i.queue = $1 AND i.state IN (0, 1)`;
/** $1 queue, $2 state or null (both), $3 seqs after this one (-1 for the first page), $4 limit. By arrival on
 * `willow_items_arrival`; Data is not read. */
export const LIST_ITEMS = `SELECT seq, id, queue, channel, state, '' AS data, updateable, retry_attempts, retry_front,
    timeout_ms, attempt, expires_at, last_error, priority, not_before, retry_delay_ms, retry_exponential, enqueued_at,
    NULL::int AS position
  FROM willow_items WHERE queue = $1 AND state IN (0, 1) AND ($2::smallint IS NULL OR state = $2::smallint) AND seq > $3
  ORDER BY seq LIMIT $4`;
/** $1 seq. A waiting item cancelled: removed. */
export const DELETE_ITEM = 'DELETE FROM willow_items WHERE seq = $1';
/** $1 seq. A processing item cancelled: marked (state 3) until its lease would have run out. */
export const MARK_CANCELLED = 'UPDATE willow_items SET state = 3 WHERE seq = $1';
/** $1 queue, $2 now. Cancel marks whose lease ran out. */
export const PURGE_CANCELLED = 'DELETE FROM willow_items WHERE queue = $1 AND state = 3 AND expires_at <= $2';
