import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/** 008's check: does any channel of the batch end in an updateable waiting item (its last waiting item read). */
const UPDATEABLE_TAIL_008 = `        IF EXISTS (SELECT 1 FROM unnest(p_keys) AS k(channel) CROSS JOIN LATERAL (SELECT w.updateable FROM willow_items w
            WHERE w.queue = p_queue AND md5(w.channel) = md5(k.channel) AND w.channel = k.channel AND w.state = 0
            ORDER BY w.seq DESC LIMIT 1) AS last WHERE last.updateable) THEN`;

/**
 * 009's check: the same answer, reading the channels' last waiting items only when some channel of the batch has an
 * updateable waiting item (one probe per channel of the small partial index first; the LIMIT keeps each a probe, and
 * the second EXISTS is not run when the first is false).
 */
const UPDATEABLE_TAIL_009 = `        IF EXISTS (SELECT 1 FROM unnest(p_keys) AS k(channel) CROSS JOIN LATERAL (SELECT 1 FROM willow_items u
            WHERE u.queue = p_queue AND md5(u.channel) = md5(k.channel) AND u.state = 0 AND u.updateable LIMIT 1) AS has_updateable)
          AND EXISTS (SELECT 1 FROM unnest(p_keys) AS k(channel) CROSS JOIN LATERAL (SELECT w.updateable FROM willow_items w
            WHERE w.queue = p_queue AND md5(w.channel) = md5(k.channel) AND w.channel = k.channel AND w.state = 0
            ORDER BY w.seq DESC LIMIT 1) AS last WHERE last.updateable) THEN`;

/**
 * willow_append_items (008, then 009 with a cheaper check), `create` being the statement's verb: an enqueue that only
 * appends (no channel it writes ends in an updateable waiting item), in one call. See 008.
 */
function appendItemsFunction(create: string, updateableTail: string): string {
  return `
      ${create} willow_append_items(p_queue text, p_keys text[], p_ids text[], p_channels text[], p_data text[],
        p_updateable boolean[], p_retry_attempts int[], p_retry_front boolean[], p_timeout_ms bigint[], p_priority smallint[],
        p_retry_delay_ms bigint[], p_retry_exponential boolean[], p_enqueued_at bigint[], p_not_before bigint[])
      RETURNS TABLE (status smallint, items int, max_items int)
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_max int;
        v_items int;
        v_adding int := cardinality(p_ids);
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(hashtext('willow.queue.' || current_schema()), hashtext(p_queue));
        PERFORM count(*) FROM (SELECT pg_advisory_xact_lock(hashtext('willow.channel.' || current_schema()), h)
          FROM (SELECT DISTINCT hashtext(p_queue || chr(10) || k) AS h FROM unnest(p_keys) k ORDER BY h) sorted) locked;
        SELECT q.max_items INTO v_max FROM willow_queues q WHERE q.name = p_queue;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 1::smallint, 0, 0;
          RETURN;
        END IF;
${updateableTail}
          RETURN QUERY SELECT 3::smallint, 0, v_max;
          RETURN;
        END IF;
        IF v_max >= 0 AND v_adding > 0 THEN
          UPDATE willow_queues q SET items = q.items + v_adding WHERE q.name = p_queue AND q.items + v_adding <= v_max;
          IF NOT FOUND THEN
            RETURN QUERY SELECT 2::smallint, q.items, v_max FROM willow_queues q WHERE q.name = p_queue;
            RETURN;
          END IF;
        END IF;
        INSERT INTO willow_items
          (seq, id, queue, channel, state, data, updateable, retry_attempts, retry_front, timeout_ms, attempt, enqueued_at,
            priority, not_before, retry_delay_ms, retry_exponential)
          SELECT nextval('willow_item_seq'), u.id, p_queue, u.channel, 0, u.data, u.updateable, u.retry_attempts,
            u.retry_front, u.timeout_ms, 0, u.enqueued_at, u.priority, u.not_before, u.retry_delay_ms, u.retry_exponential
          FROM unnest(p_ids, p_channels, p_data, p_updateable, p_retry_attempts, p_retry_front, p_timeout_ms, p_priority,
            p_retry_delay_ms, p_retry_exponential, p_enqueued_at, p_not_before)
            WITH ORDINALITY AS u(id, channel, data, updateable, retry_attempts, retry_front, timeout_ms, priority,
              retry_delay_ms, retry_exponential, enqueued_at, not_before, ord)
          ORDER BY u.ord;
        RETURN QUERY SELECT 0::smallint, 0, v_max;
      END
      $fn$;`;
}

/**
 * willow_claim_heads (011): CLAIM_HEADS' claim as a function whose one statement is planned once per connection.
 * In each channel of `p_keys`, the first `p_counts` waiting items (by priority, then place) that no concurrent claim
 * holds become processing, each if it is due by `p_now` and no item before it in line is waiting to become due:
 * - The line is read by three probes (a positive priority on willow_items_ranked, priority 0 on willow_items_line, a
 *   negative priority), each FOR UPDATE SKIP LOCKED and taking only what the probes before it left of the count, so a
 *   claim locks exactly the items it answers (had it locked items it does not take, a concurrent claim would take
 *   items behind them while they still wait). Arrays, not a UNION: PostgreSQL allows no row lock in a UNION's inputs.
 * - The items it passes over are those concurrent claims hold; if one of them is not yet due (that claim will find so
 *   and leave it), the channel gives nothing: nothing jumps over a first item that is not yet due (a strict line,
 *   DESIGN §7.8). That check reads past the locks, on willow_items_channel_due (only delayed items).
 * - The items are picked once, in a MATERIALIZED CTE: a subquery the UPDATE's join scanned again would pick anew, and
 *   an item this statement had just claimed is skipped by a second FOR UPDATE SKIP LOCKED (updated by the current
 *   command), so the next one would be taken too.
 * Planned generic (`plan_cache_mode`): the plan is the same for every argument (index probes per channel, then the
 * items by seq), and a custom plan cost about 1-1.5 ms of planning per claim, more than running it (0.2-0.5 ms).
 * PostgreSQL's own choice kept planning anew: the generic plan's cost is estimated for 10 channels, not the 1 a
 * single dequeue names. The plan is made again when the table's statistics change (ANALYZE), as any cached plan.
 */
const CLAIM_HEADS_011 = `
      CREATE FUNCTION willow_claim_heads(p_queue text, p_keys text[], p_now bigint, p_counts int[])
      RETURNS SETOF willow_items
      LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $fn$
      BEGIN
        RETURN QUERY WITH h AS MATERIALIZED (
            SELECT l.seq AS head_seq FROM unnest(p_keys, p_counts) AS k(key, n)
            CROSS JOIN LATERAL (SELECT ARRAY(SELECT seq FROM willow_items
              WHERE queue = p_queue AND md5(channel) = md5(k.key) AND channel = k.key AND state = 0
                AND priority <> 0 AND priority > 0
              ORDER BY priority DESC, seq LIMIT k.n FOR UPDATE SKIP LOCKED) AS hi) p1
            CROSS JOIN LATERAL (SELECT ARRAY(SELECT seq FROM willow_items
              WHERE queue = p_queue AND md5(channel) = md5(k.key) AND channel = k.key AND state = 0 AND priority = 0
              ORDER BY seq LIMIT greatest(k.n - cardinality(p1.hi), 0) FOR UPDATE SKIP LOCKED) AS mid) p2
            CROSS JOIN LATERAL (SELECT ARRAY(SELECT seq FROM willow_items
              WHERE queue = p_queue AND md5(channel) = md5(k.key) AND channel = k.key AND state = 0
                AND priority <> 0 AND priority < 0
              ORDER BY priority DESC, seq LIMIT greatest(k.n - cardinality(p1.hi) - cardinality(p2.mid), 0)
              FOR UPDATE SKIP LOCKED) AS lo) p3
            CROSS JOIN LATERAL unnest(p1.hi || p2.mid || p3.lo) AS l(seq)),
          claimed AS (
            UPDATE willow_items SET state = 1, attempt = attempt + 1, expires_at = p_now + timeout_ms
            FROM h
            WHERE seq = h.head_seq AND state = 0 AND (not_before IS NULL OR not_before <= p_now)
              AND NOT EXISTS (SELECT 1 FROM willow_items a
                WHERE a.queue = p_queue AND md5(a.channel) = md5(willow_items.channel) AND a.channel = willow_items.channel
                  AND a.state = 0 AND a.not_before IS NOT NULL AND a.not_before > p_now
                  AND (a.priority > willow_items.priority OR (a.priority = willow_items.priority AND a.seq < willow_items.seq)))
            RETURNING willow_items.*)
          SELECT * FROM claimed;
      END
      $fn$;`;

/**
 * willow_channel_heads (012): CHANNEL_HEADS' read as a function whose one statement is planned once per connection,
 * as willow_claim_heads is (011): a custom plan of it cost about 0.6 ms of planning per read under dequeue load, and
 * PostgreSQL's own choice kept planning anew for most reads. The head of each channel of `p_keys` that has a waiting
 * item (by priority, higher first, then by place: a positive priority on willow_items_ranked, else the first of
 * priority 0 on willow_items_line, else the best of a negative priority), with its waiting items counted up to `p_cap`
 * (0 counts nothing): index probes per channel, the head row by primary key (the LIMIT keeps the LATERAL a probe, see
 * HEAD_ROW_OF), never a pass over a deep channel or over the queue.
 */
const CHANNEL_HEADS_012 = `
      CREATE FUNCTION willow_channel_heads(p_queue text, p_keys text[], p_cap int)
      RETURNS TABLE (channel text, seq bigint, priority smallint, not_before bigint, waiting int)
      LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $fn$
      BEGIN
        RETURN QUERY SELECT u.k, h.seq, h.priority, h.not_before,
            CASE WHEN p_cap > 0 THEN (SELECT count(*) FROM (SELECT 1 FROM willow_items w
              WHERE w.queue = p_queue AND md5(w.channel) = md5(u.k) AND w.channel = u.k AND w.state = 0
              LIMIT p_cap) c)::int ELSE 0 END
          FROM unnest(p_keys) AS u(k)
          JOIN LATERAL (SELECT f.seq, f.priority, f.not_before FROM willow_items f WHERE f.seq = coalesce(
            (SELECT i.seq FROM willow_items i
              WHERE i.queue = p_queue AND md5(i.channel) = md5(u.k) AND i.channel = u.k AND i.state = 0
                AND i.priority <> 0 AND i.priority > 0
              ORDER BY i.priority DESC, i.seq LIMIT 1),
            (SELECT i.seq FROM willow_items i
              WHERE i.queue = p_queue AND md5(i.channel) = md5(u.k) AND i.channel = u.k AND i.state = 0 AND i.priority = 0
              ORDER BY i.seq LIMIT 1),
            (SELECT i.seq FROM willow_items i
              WHERE i.queue = p_queue AND md5(i.channel) = md5(u.k) AND i.channel = u.k AND i.state = 0 AND i.priority <> 0
              ORDER BY i.priority DESC, i.seq LIMIT 1))
            LIMIT 1) h ON true;
      END
      $fn$;`;

/**
 * willow_ack_items (013): the acks of a batch that all passed, settled in one call when they are all current. It
 * deletes the items whose delivery `p_ids[i]`/`p_attempts[i]` (null: any attempt) is current and whose lease has not
 * run out by `p_nows[i]` (Settlement's rule for a passed ack), returns them, and releases them from a bounded queue's
 * count; an ack that finds no such item changes nothing (the caller judges it in the settlement transaction). It takes
 * the queue's lock shared and then its items' in id order, as the settlement transaction does, so the two never
 * deadlock. Each statement is a probe per id (the id index), planned once per connection.
 */
const ACK_ITEMS_013 = `
      CREATE FUNCTION willow_ack_items(p_queue text, p_ids text[], p_attempts bigint[], p_nows bigint[])
      RETURNS SETOF willow_items
      LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $fn$
      DECLARE
        v_seqs bigint[];
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(hashtext('willow.queue.' || current_schema()), hashtext(p_queue));
        PERFORM 1 FROM willow_items WHERE queue = p_queue AND id = ANY(p_ids) ORDER BY id FOR UPDATE;
        SELECT array_agg(l.seq) INTO v_seqs FROM unnest(p_ids, p_attempts, p_nows) AS a(id, attempt, now)
          CROSS JOIN LATERAL (SELECT w.seq FROM willow_items w WHERE w.id = a.id AND w.queue = p_queue AND w.state = 1
            AND (a.attempt IS NULL OR w.attempt = a.attempt) AND (w.expires_at IS NULL OR w.expires_at > a.now) LIMIT 1) l;
        IF v_seqs IS NULL THEN
          RETURN;
        END IF;
        UPDATE willow_queues SET items = items - cardinality(v_seqs) WHERE name = p_queue AND max_items >= 0;
        RETURN QUERY DELETE FROM willow_items WHERE seq = ANY(v_seqs) RETURNING *;
      END
      $fn$;`;

/**
 * Willow's PostgreSQL tables. Times are epoch milliseconds (BIGINT). `seq` is the place in line, drawn from one
 * sequence so it orders items across instances; a front retry keeps it, a back retry and a requeue take a new one.
 * A channel (a canonical tag encoding) can be longer than a b-tree entry may be, so from 002 on no index holds one:
 * a channel's line is indexed by the md5 of its channel, and statements compare the whole channel as well.
 */
export const WILLOW_PG_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-queues-items',
    sql: `
      CREATE SEQUENCE willow_item_seq;
      CREATE TABLE willow_queues (
        name TEXT PRIMARY KEY,
        max_items INTEGER NOT NULL,
        -- waiting + processing, kept only while max_items >= 0 (an unlimited queue has no hot counter row);
        -- recounted when a bound is set on an unlimited queue
        items INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE willow_items (
        seq BIGINT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        queue TEXT NOT NULL,
        channel TEXT NOT NULL,             -- canonical tag encoding
        state SMALLINT NOT NULL,           -- 0 waiting, 1 processing, 2 dead
        data TEXT NOT NULL,
        updateable BOOLEAN NOT NULL,
        retry_attempts INTEGER NOT NULL,
        retry_front BOOLEAN NOT NULL,
        timeout_ms BIGINT NOT NULL,
        attempt INTEGER NOT NULL,          -- deliveries made
        expires_at BIGINT,                 -- lease end while processing
        dead_reason TEXT,
        dead_at BIGINT
      );
      -- first and last waiting item of a channel, a channel's processing items, channel loads
      CREATE INDEX willow_items_line ON willow_items (queue, channel, state, seq);
      -- leases that ran out (the sweep)
      CREATE INDEX willow_items_leases ON willow_items (expires_at) WHERE state = 1;
      -- dead letters of a queue by arrival
      CREATE INDEX willow_items_dead ON willow_items (queue, seq) WHERE state = 2;`,
  },
  {
    // An expression index, not a generated column: upgrading a schema made by 001 builds one index and rewrites no
    // item. Statements name the channel as `md5(channel) = md5(<key>)`, the indexed expression, plus the channel.
    id: '002-channel-hash',
    sql: `
      DROP INDEX willow_items_line;
      -- first and last waiting item of a channel, a channel's processing items, channel loads
      CREATE INDEX willow_items_line ON willow_items (queue, md5(channel), state, seq);`,
  },
  {
    // Inspect and cancel (DESIGN §7.8): the enqueue time an item answers with (null for older items), the queue's
    // items by arrival (the item listing), and cancel marks (state 3) by the end of the lease they ended.
    id: '003-inspect-cancel',
    sql: `
      ALTER TABLE willow_items ADD COLUMN enqueued_at BIGINT;
      CREATE INDEX willow_items_arrival ON willow_items (queue, seq) WHERE state IN (0, 1);
      CREATE INDEX willow_items_cancelled ON willow_items (queue, expires_at) WHERE state = 3;`,
  },
  {
    id: '004-queue-paused',
    sql: `ALTER TABLE willow_queues ADD COLUMN paused BOOLEAN NOT NULL DEFAULT false;  -- true: hands out nothing`,
  },
  {
    id: '005-item-last-error',
    sql: `ALTER TABLE willow_items ADD COLUMN last_error TEXT;  -- why the last delivery failed`,
  },
  {
    // Delays, retry backoff and priority (DESIGN §7.8). A channel's line is ordered by priority (higher first), then
    // by place. Items of the default priority 0 are ordered by willow_items_line (by place) as before; only items of
    // another priority are also in willow_items_ranked, so an enqueue at priority 0 writes no extra index entry.
    // Due times of waiting items are indexed only where set, so the Scheduled counts read only delayed items.
    id: '006-delay-priority',
    sql: `
      ALTER TABLE willow_items ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0;
      ALTER TABLE willow_items ADD COLUMN not_before BIGINT;            -- not handed out before (epoch ms)
      ALTER TABLE willow_items ADD COLUMN retry_delay_ms BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE willow_items ADD COLUMN retry_exponential BOOLEAN NOT NULL DEFAULT false;
      CREATE INDEX willow_items_ranked ON willow_items (queue, md5(channel), priority DESC, seq) WHERE state = 0 AND priority <> 0;
      CREATE INDEX willow_items_due ON willow_items (queue, not_before) WHERE state = 0 AND not_before IS NOT NULL;`,
  },
  {
    // A channel's waiting items not yet due, found per channel: a claim checks that none of them is ahead of the item
    // it takes (CLAIM_HEADS). Only delayed items are in it, so an enqueue without a delay writes no entry.
    id: '007-channel-not-due',
    sql: `CREATE INDEX willow_items_channel_due ON willow_items (queue, md5(channel), not_before) WHERE state = 0 AND not_before IS NOT NULL;`,
  },
  {
    // An enqueue that only appends (no channel it writes ends in an updateable waiting item), in one call: one round
    // trip, committed on its own, with plans this function keeps for its connection. The same locks in the same order
    // as the enqueue transaction (postgres-willow.sql.ts), each statement with its own snapshot, so the check sees
    // every enqueue that held a channel's lock before. Status: 0 appended; 1 no such queue; 2 QUEUE_FULL (`items` of
    // `max_items`); 3 a channel ends in an updateable item, nothing written (the caller plans a collapse in a
    // transaction). It runs on the caller's search_path (the store's schema, as every statement does), so its tables
    // and lock keys follow the schema's name, as the statements of the enqueue transaction do.
    id: '008-append-items',
    sql: appendItemsFunction('CREATE FUNCTION', UPDATEABLE_TAIL_008),
  },
  {
    // Appends no longer read every channel's last waiting item: the channels of the batch are first looked up among
    // the waiting updateable items (a partial index, empty while a queue's items are not updateable), and the last
    // waiting items are read only when one of them has some. Measured (EXPLAIN ANALYZE, 100 channels of a queue with
    // 150k waiting items): 1.4-1.7 ms for the check before, 0.25 ms after, 0.76 ms with 100k updateable items waiting
    // in other channels of the queue. The index is built in the migration's transaction, so on a large table the
    // upgrade holds enqueues back while it builds (CONCURRENTLY cannot run in a transaction).
    id: '009-updateable-waiting',
    sql: `
      CREATE INDEX willow_items_updateable ON willow_items (queue, md5(channel)) WHERE state = 0 AND updateable;
      ${appendItemsFunction('CREATE OR REPLACE FUNCTION', UPDATEABLE_TAIL_009)}`,
  },
  {
    // Running-counter recounts (CounterFence): bumped by each recount while it holds the fence alone, so an instance
    // that stepped aside can tell whether one ran (and when it started) once it holds the fence again.
    id: '010-recounts',
    sql: `
      CREATE TABLE willow_recounts (id INT PRIMARY KEY, generation BIGINT NOT NULL, started_at BIGINT NOT NULL);
      INSERT INTO willow_recounts VALUES (1, 0, 0);`,
  },
  {
    // Claims run as one function call, planned once per connection (see CLAIM_HEADS_011). Instances of an older
    // version keep sending the claim as a statement of their own, which claims the same items by the same locks.
    id: '011-claim-heads',
    sql: CLAIM_HEADS_011,
  },
  {
    // Channel head reads run as one function call, planned once per connection (see CHANNEL_HEADS_012).
    id: '012-channel-heads',
    sql: CHANNEL_HEADS_012,
  },
  {
    // Acks that all passed settle in one call (see ACK_ITEMS_013); instances of an older version settle them in their
    // transaction, which takes the same locks in the same order.
    id: '013-ack-items',
    sql: ACK_ITEMS_013,
  },
];
