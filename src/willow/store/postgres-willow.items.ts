import { afterCommit, type PgChannel } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import { decideCancel } from '../domain/cancel';
import { PROCESSING, type WAITING } from '../domain/item';
import { QueueNotFoundError } from '../domain/willow.errors';
import type { ScheduledCount, StoredItem } from '../willow.store';
import { channelsChanged, type QueueChange } from './postgres-willow.changes';
import { reserve } from './postgres-willow.enqueue';
import * as Row from './postgres-willow.rows';
import * as SQL from './postgres-willow.sql';

/**
 * The transactions that take single items out of line or put them back (cancel, delete a channel, requeue a dead
 * letter), and the reads of scheduled items. Each transaction runs under the queue's shared lock with the rows it
 * changes locked, and announces the channel it changed just after it commits.
 */

/** The item's row locked, so a cancel races a settlement or an expiry exactly once. */
export async function cancelTx(sql: Tx, changes: PgChannel<QueueChange>, queue: string, id: string, now: number): Promise<{ item: StoredItem; was: typeof WAITING | typeof PROCESSING } | null> {
  await sql.query(SQL.LOCK_QUEUE_SHARED, [queue]);
  const [row] = (await sql.query<Row.ItemRow & { max_items: number | null }>(SQL.LOCK_ITEMS, [queue, [id]])).rows;
  const decision = decideCancel(row && Row.found(row), queue);
  await sql.query(SQL.PURGE_CANCELLED, [queue, now]);
  if (decision.kind === 'not_found') return null;
  await sql.query(decision.kind === 'remove' ? SQL.DELETE_ITEM : SQL.MARK_CANCELLED, [decision.item.seq]);
  if ((row.max_items ?? -1) >= 0) await sql.query(SQL.RELEASE_ITEMS, [queue, 1]);
  await changes.send(afterCommit(sql), ...channelsChanged(queue, [decision.item.key]));
  return { item: decision.item, was: decision.was };
}

/** Deletes every item of a channel; answers those that were processing (their counters are to be freed). */
export async function deleteChannelTx(sql: Tx, changes: PgChannel<QueueChange>, queue: string, key: string): Promise<StoredItem[]> {
  await sql.query(SQL.LOCK_QUEUE_SHARED, [queue]);
  const maxItems = await requireQueue(sql, queue);
  const { rows } = await sql.query<Row.ItemRow>(SQL.DELETE_CHANNEL, [queue, key]);
  if (rows.length === 0) return [];
  if (maxItems >= 0) await sql.query(SQL.RELEASE_ITEMS, [queue, rows.length]);
  await changes.send(afterCommit(sql), ...channelsChanged(queue, [key]));
  return rows.filter((r) => r.state === PROCESSING).map(Row.toItem);
}

/** The dead letter `id` goes to the back of its channel (counted under MaxItems again); null when there is none. */
export async function requeueDeadTx(sql: Tx, changes: PgChannel<QueueChange>, queue: string, id: string): Promise<StoredItem | null> {
  await sql.query(SQL.LOCK_QUEUE_SHARED, [queue]);
  const [dead] = (await sql.query<Row.ItemRow>(SQL.LOCK_DEAD, [queue, id])).rows;
  if (!dead) return null;
  const maxItems = await requireQueue(sql, queue);
  if (maxItems >= 0) await reserve(sql, queue, maxItems, 1);
  const [row] = (await sql.query<Row.ItemRow>(SQL.REQUEUE, [dead.seq])).rows;
  await changes.send(afterCommit(sql), ...channelsChanged(queue, [row.channel]));
  return Row.toItem(row);
}

/** The queue's max_items; QUEUE_NOT_FOUND when it does not exist. Read after the queue's lock. */
export async function requireQueue(sql: Tx, name: string): Promise<number> {
  const [row] = (await sql.query<{ max_items: number }>(SQL.QUEUE_BOUND, [name])).rows;
  if (!row) throw new QueueNotFoundError(name);
  return row.max_items;
}

/** Waiting items of `queue` not yet due at `now`, on willow_items_due. */
export async function countScheduled(storage: PostgresStorage, queue: string, now: number): Promise<number> {
  return (await storage.query<{ n: number }>(SQL.COUNT_SCHEDULED, [queue, now]))[0]?.n ?? 0;
}

export async function countDead(storage: PostgresStorage, queue: string): Promise<number> {
  return (await storage.query<{ n: number }>(SQL.COUNT_DEAD, [queue]))[0]?.n ?? 0;
}

/** Per channel among `keys` holding waiting items not yet due at `now`: how many, and the earliest due time. */
export async function scheduledOf(storage: PostgresStorage, queue: string, keys: readonly string[], now: number): Promise<Map<string, ScheduledCount>> {
  if (keys.length === 0) return new Map();
  const rows = await storage.query<{ channel: string; n: number; next: string }>(SQL.SCHEDULED_OF, [queue, now, keys]);
  return new Map(rows.map((r) => [r.channel, { scheduled: r.n, nextDueAt: Number(r.next) }]));
}
