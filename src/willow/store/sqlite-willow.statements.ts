import type { Database } from 'better-sqlite3';
import type { ChannelLoad } from '../willow.store';
import type { QueueRow } from './willow.rows';

export interface ItemRow {
  seq: number;
  id: string;
  queue: string;
  channel: string;
  state: number;
  data: string;
  updateable: number;
  retry_attempts: number;
  retry_front: number;
  timeout_ms: number;
  attempt: number;
  expires_at: number | null;
  dead_reason: string | null;
  dead_at: number | null;
  enqueued_at: number | null;
  last_error: string | null;
  priority: number;
  not_before: number | null;
  retry_delay_ms: number;
  retry_exponential: number;
}

/** Every column of willow_items, in the order the item statements select them and `itemRow` reads them. */
export const ITEM_COLUMNS = [
  'seq', 'id', 'queue', 'channel', 'state', 'data', 'updateable', 'retry_attempts', 'retry_front', 'timeout_ms', 'attempt',
  'expires_at', 'dead_reason', 'dead_at', 'enqueued_at', 'last_error', 'priority', 'not_before', 'retry_delay_ms', 'retry_exponential',
] as const satisfies ReadonlyArray<keyof ItemRow>;

/** The item columns to select, `data` replaced by an empty string where the statement does not read it. */
function itemColumns(withData = true): string {
  return ITEM_COLUMNS.map((column) => (column === 'data' && !withData ? "'' AS data" : column)).join(', ');
}

/** A row of ITEM_COLUMNS, read as an array: better-sqlite3 builds a row object property by property through N-API
 * (about 4.5 us for these 20 columns); the array and this literal take about half of that. */
function itemRow(r: unknown[]): ItemRow {
  return {
    seq: r[0] as number, id: r[1] as string, queue: r[2] as string, channel: r[3] as string, state: r[4] as number,
    data: r[5] as string, updateable: r[6] as number, retry_attempts: r[7] as number, retry_front: r[8] as number,
    timeout_ms: r[9] as number, attempt: r[10] as number, expires_at: r[11] as number | null,
    dead_reason: r[12] as string | null, dead_at: r[13] as number | null, enqueued_at: r[14] as number | null,
    last_error: r[15] as string | null, priority: r[16] as number, not_before: r[17] as number | null,
    retry_delay_ms: r[18] as number, retry_exponential: r[19] as number,
  };
}

/** A statement selecting `itemColumns()`, answering ItemRows. */
export interface ItemQuery<P extends unknown[]> {
  get(...params: P): ItemRow | undefined;
  all(...params: P): ItemRow[];
}

function itemQuery<P extends unknown[]>(db: Database, sql: string): ItemQuery<P> {
  const statement = db.prepare<P, unknown[]>(sql).raw(true);
  return {
    get: (...params) => {
      const row = statement.get(...params);
      return row === undefined ? undefined : itemRow(row);
    },
    all: (...params) => statement.all(...params).map(itemRow),
  };
}

/** The waiting items of channel `@channel` of `@queue` (on willow_items_waiting). */
const IN_CHANNEL = 'queue = @queue AND channel = @channel AND state = 0';
/** The processing items of channel `@channel` of `@queue`, found among all the items in flight (willow_items_leases),
 * not among all the queue's items (willow_items_arrival), which a planner without statistics could pick. No index
 * holds a channel's processing items (one would cost a claim and its ack a page write each): only a channel's deletion
 * and the per-channel counts of a shared store's index loader read them. */
const PROCESSING_IN_CHANNEL = 'INDEXED BY willow_items_leases WHERE state = 1 AND queue = @queue AND channel = @channel';
/**
 * The seq of a channel's first waiting item (DESIGN §7.8: by priority, higher first, then by place): the best item of
 * a positive priority (willow_items_ranked), else the first of priority 0 by place (willow_items_waiting), else the best
 * of a negative priority. Each is one index probe, but the second steps over the items of a negative priority placed
 * before the first item of priority 0.
 */
const HEAD_SEQ = `coalesce(
  (SELECT seq FROM willow_items WHERE ${IN_CHANNEL} AND priority <> 0 AND priority > 0 ORDER BY priority DESC, seq LIMIT 1),
  (SELECT seq FROM willow_items WHERE ${IN_CHANNEL} AND priority = 0 ORDER BY seq LIMIT 1),
  (SELECT seq FROM willow_items WHERE ${IN_CHANNEL} AND priority <> 0 ORDER BY priority DESC, seq LIMIT 1))`;

/**
 * Waiting and processing items per channel (`where`: a condition on `queue` ending in AND, or ''): each state counted
 * on its own index, in its order (waiting on willow_items_waiting, covering; processing on willow_items_leases), then
 * summed. One GROUP BY over both states read every row of the queue and sorted them (3 to 4 times as long).
 */
const CHANNEL_COUNTS = (where: string) => `SELECT queue, channel, sum(w) AS waiting, sum(p) AS processing FROM (
    SELECT queue, channel, count(*) AS w, 0 AS p FROM willow_items WHERE ${where} state = 0 GROUP BY queue, channel
    UNION ALL SELECT queue, channel, 0, count(*) FROM willow_items WHERE ${where} state = 1 GROUP BY queue, channel)
  GROUP BY queue, channel`;

/** Every statement of the SQLite Willow store, prepared once. States (domain/item.ts): 0 waiting, 1 processing, 2 dead. */
export function prepareWillowStatements(db: Database) {
  return {
    maxSeq: db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM willow_items'),
    queue: db.prepare<[string], QueueRow>('SELECT name, max_items, items, paused FROM willow_queues WHERE name = ?'),
    listQueues: db.prepare<[string, number], QueueRow>(
      'SELECT name, max_items, items, paused FROM willow_queues WHERE name > ? ORDER BY name LIMIT ?',
    ),
    insertQueue: db.prepare('INSERT INTO willow_queues (name, max_items, items, created_at) VALUES (?, ?, 0, ?)'),
    setMaxItems: db.prepare('UPDATE willow_queues SET max_items = ? WHERE name = ?'),
    setPaused: db.prepare('UPDATE willow_queues SET paused = ? WHERE name = ?'),
    pausedQueues: db.prepare<[], { name: string }>('SELECT name FROM willow_queues WHERE paused = 1'),
    addItems: db.prepare('UPDATE willow_queues SET items = items + ? WHERE name = ?'),
    deleteQueue: db.prepare('DELETE FROM willow_queues WHERE name = ?'),
    // Every state on its own index (waiting and processing, dead, cancelled): no index holds all of a queue's items.
    deleteItemsOfQueue: db.prepare<{ queue: string }>(
      `DELETE FROM willow_items WHERE seq IN (SELECT seq FROM willow_items WHERE queue = @queue AND state IN (0, 1)
        UNION ALL SELECT seq FROM willow_items WHERE queue = @queue AND state = 2
        UNION ALL SELECT seq FROM willow_items WHERE queue = @queue AND state = 3)`,
    ),
    processingOfQueue: itemQuery<[string]>(db, `SELECT ${itemColumns()} FROM willow_items WHERE queue = ? AND state = 1`),
    processingOfChannel: itemQuery<[{ queue: string; channel: string }]>(
      db,
      `SELECT ${itemColumns()} FROM willow_items ${PROCESSING_IN_CHANNEL}`,
    ),
    deleteWaitingOfChannel: db.prepare<{ queue: string; channel: string }>(`DELETE FROM willow_items WHERE ${IN_CHANNEL}`),
    byId: itemQuery<[string]>(db, `SELECT ${itemColumns()} FROM willow_items WHERE id = ?`),
    /** The items among the ids of a JSON array, in no order: one statement for an ack-batch. */
    byIds: itemQuery<[string]>(db, `SELECT ${itemColumns()} FROM willow_items WHERE id IN (SELECT value FROM json_each(?))`),
    lastWaiting: db.prepare<[string, string], { seq: number; id: string; updateable: number; priority: number }>(
      'SELECT seq, id, updateable, priority FROM willow_items WHERE queue = ? AND channel = ? AND state = 0 ORDER BY seq DESC LIMIT 1',
    ),
    /** Whether any item of the queue waits updateable (willow_items_updateable): if none, nothing can collapse. */
    hasUpdateableWaiting: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM willow_items WHERE queue = ? AND state = 0 AND updateable = 1 LIMIT 1'),
    // The first in line: by priority (higher first), then place (HEAD_SEQ).
    firstWaiting: itemQuery<[{ queue: string; channel: string }]>(db, `SELECT ${itemColumns()} FROM willow_items WHERE seq = ${HEAD_SEQ}`),
    firstWaitingHead: db.prepare<{ queue: string; channel: string }, HeadRow>(
      `SELECT seq, priority, not_before FROM willow_items WHERE seq = ${HEAD_SEQ}`,
    ),
    insertItem: db.prepare(`INSERT INTO willow_items
      (seq, id, queue, channel, state, data, updateable, retry_attempts, retry_front, timeout_ms, attempt, expires_at, dead_reason, dead_at,
        enqueued_at, priority, not_before, retry_delay_ms, retry_exponential)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, NULL, ?, ?, ?, ?, ?)`),
    collapse: db.prepare(`UPDATE willow_items SET data = ?, updateable = ?, retry_attempts = ?, retry_front = ?,
      timeout_ms = ?, attempt = 0, last_error = NULL, priority = ?, retry_delay_ms = ?, retry_exponential = ? WHERE seq = ?`),
    /** A collapse into an updateable item by an updateable one: `updateable` not set, so willow_items_updateable is not
     * rewritten (SQLite skips an index whose columns and condition the update does not name). */
    collapseStillUpdateable: db.prepare(`UPDATE willow_items SET data = ?, retry_attempts = ?, retry_front = ?,
      timeout_ms = ?, attempt = 0, last_error = NULL, priority = ?, retry_delay_ms = ?, retry_exponential = ? WHERE seq = ?`),
    claim: db.prepare('UPDATE willow_items SET state = 1, attempt = attempt + 1, expires_at = ? WHERE seq = ?'),
    renew: db.prepare('UPDATE willow_items SET expires_at = ? WHERE seq = ?'),
    giveBack: db.prepare('UPDATE willow_items SET state = 0, attempt = attempt - 1, expires_at = NULL WHERE seq = ?'),
    /** A failed delivery: back in line (new seq, or its own) with why it failed. */
    toRetry: db.prepare('UPDATE willow_items SET state = 0, expires_at = NULL, seq = ?, last_error = ?, not_before = ? WHERE seq = ?'),
    toDead: db.prepare(
      'UPDATE willow_items SET state = 2, expires_at = NULL, dead_reason = ?, dead_at = ?, last_error = ?, not_before = NULL WHERE seq = ?',
    ),
    deleteItem: db.prepare('DELETE FROM willow_items WHERE seq = ?'),
    /** The items of the seqs of a JSON array. */
    deleteItems: db.prepare('DELETE FROM willow_items WHERE seq IN (SELECT value FROM json_each(?))'),
    listDead: itemQuery<[string, number, number]>(
      db,
      `SELECT ${itemColumns()} FROM willow_items WHERE queue = ? AND state = 2 AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    requeue: db.prepare(
      'UPDATE willow_items SET state = 0, attempt = 0, dead_reason = NULL, dead_at = NULL, not_before = NULL, seq = ? WHERE seq = ?',
    ),
    deleteDead: db.prepare('DELETE FROM willow_items WHERE id = ? AND queue = ? AND state = 2'),
    // Counts per channel; its head is read after (firstWaitingHead), ordered by priority then place.
    loadChannels: db.prepare<[], CountRow>(CHANNEL_COUNTS('')),
    loadQueueChannels: db.prepare<{ queue: string }, CountRow>(CHANNEL_COUNTS('queue = @queue AND')),
    /** A channel's waiting items, counted up to @cap (on willow_items_waiting). */
    countWaitingUpTo: db.prepare<{ queue: string; channel: string; cap: number }, { n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM willow_items WHERE ${IN_CHANNEL} LIMIT @cap)`,
    ),
    channelState: db.prepare<{ queue: string; channel: string }, { waiting: number; processing: number }>(
      `SELECT (SELECT count(*) FROM willow_items WHERE ${IN_CHANNEL}) AS waiting,
         (SELECT count(*) FROM willow_items ${PROCESSING_IN_CHANNEL}) AS processing`,
    ),
    // Waiting items ahead in the channel's line: of a higher priority, or of the same and an earlier place. Items of
    // another priority than 0 are counted on willow_items_ranked, those of priority 0 on willow_items_waiting.
    position: db.prepare<{ queue: string; channel: string; priority: number; seq: number }, { n: number }>(
      `SELECT (SELECT count(*) FROM willow_items WHERE ${IN_CHANNEL} AND priority <> 0 AND priority > @priority)
        + CASE WHEN @priority < 0 THEN (SELECT count(*) FROM willow_items WHERE ${IN_CHANNEL} AND priority = 0) ELSE 0 END
        + CASE WHEN @priority = 0 THEN (SELECT count(*) FROM willow_items WHERE ${IN_CHANNEL} AND priority = 0 AND seq < @seq)
          ELSE (SELECT count(*) FROM willow_items WHERE ${IN_CHANNEL} AND priority <> 0 AND priority = @priority AND seq < @seq) END AS n`,
    ),
    // Waiting items not yet due, on willow_items_due (queue, not_before) WHERE state = 0 AND not_before IS NOT NULL.
    countScheduled: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM willow_items WHERE queue = ? AND state = 0 AND not_before IS NOT NULL AND not_before > ?',
    ),
    // A queue's dead letters, on willow_items_dead (queue, seq) WHERE state = 2.
    countDead: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM willow_items WHERE queue = ? AND state = 2'),
    scheduledOf: db.prepare<[string, number], { channel: string; n: number; next: number }>(
      `SELECT channel, count(*) AS n, min(not_before) AS next FROM willow_items
       WHERE queue = ? AND state = 0 AND not_before IS NOT NULL AND not_before > ? GROUP BY channel`,
    ),
    // A queue's items by arrival on willow_items_arrival (queue, seq) WHERE state IN (0, 1); Data is not read.
    listItems: itemQuery<[{ queue: string; state: number | null; after: number; limit: number }]>(
      db,
      `SELECT ${itemColumns(false)} FROM willow_items WHERE queue = @queue AND state IN (0, 1) AND (@state IS NULL OR state = @state) AND seq > @after
       ORDER BY seq LIMIT @limit`,
    ),
    markCancelled: db.prepare('UPDATE willow_items SET state = 3 WHERE seq = ?'),
    purgeCancelled: db.prepare('DELETE FROM willow_items WHERE queue = ? AND state = 3 AND expires_at <= ?'),
    loadLeases: db.prepare<[], LeaseRow>('SELECT id, attempt, expires_at FROM willow_items WHERE state = 1'),
    processingCounts: db.prepare<[], { queue: string; channel: string; processing: number }>(
      'SELECT queue, channel, count(*) AS processing FROM willow_items WHERE state = 1 GROUP BY queue, channel',
    ),
    dueLeases: db.prepare<[number, number], LeaseRow>(
      'SELECT id, attempt, expires_at FROM willow_items WHERE state = 1 AND expires_at <= ? ORDER BY expires_at LIMIT ?',
    ),
  };
}

export interface CountRow {
  queue: string;
  channel: string;
  waiting: number;
  processing: number;
}

export interface HeadRow {
  seq: number;
  priority: number;
  not_before: number | null;
}

interface LeaseRow {
  id: string;
  attempt: number;
  expires_at: number;
}

export function flag(value: boolean): number {
  return value ? 1 : 0;
}

/** A channel's counts with its first waiting item (`head`), as the index loads it. */
export function toChannel(r: CountRow, head: HeadRow | undefined): ChannelLoad {
  return {
    queue: r.queue,
    key: r.channel,
    waiting: r.waiting,
    processing: r.processing,
    headSeq: head?.seq ?? null,
    headPriority: head?.priority ?? 0,
    headDueAt: head?.not_before ?? null,
  };
}
