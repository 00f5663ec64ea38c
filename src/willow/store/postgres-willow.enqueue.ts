import { inlineParams } from '../../platform/storage/postgres/inline-params';
import { afterCommit } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import { channelsOf, planEnqueue, type EnqueueInput, type ItemWrite } from '../domain/enqueue-plan';
import { QueueFullError, QueueNotFoundError } from '../domain/willow.errors';
import type { EnqueueOutcome } from '../willow.store';
import { channelsChanged, QUEUE_CHANGES } from './postgres-willow.changes';
import type { QueueRow } from './postgres-willow.rows';
import * as SQL from './postgres-willow.sql';

type StateRow = { max_items: number } & ({ seq: string; id: string; channel: string; updateable: boolean; priority: number } | { seq: null });

/**
 * One enqueue transaction: queue and channel locks, then the queue's bound with the channels' last waiting items
 * (locked), both sent with the BEGIN (`tx`'s opening: one round trip for the three, each statement with its own
 * snapshot, so the read sees every enqueue that held the locks before); the MaxItems check on a bounded queue; one
 * UPDATE for all collapses, one INSERT for all new items; the changed channels announced once it has committed.
 */
export function enqueueTx(storage: PostgresStorage, queue: string, items: EnqueueInput): Promise<EnqueueOutcome[]> {
  const keys = channelsOf(items);
  const opening = [inlineParams(SQL.LOCK_FOR_ENQUEUE, [queue, keys]), inlineParams(SQL.ENQUEUE_STATE, [queue, keys])];
  return storage.tx((sql, [, state]) => planAndWrite(storage, sql, queue, items, state as StateRow[]), opening);
}

async function planAndWrite(storage: PostgresStorage, sql: Tx, queue: string, items: EnqueueInput, rows: readonly StateRow[]): Promise<EnqueueOutcome[]> {
  if (rows.length === 0) throw new QueueNotFoundError(queue);
  const maxItems = rows[0].max_items;
  const last = rows.flatMap((r) => (r.seq === null ? [] : [[r.channel, { ...r, seq: Number(r.seq) }] as const]));
  const plan = planEnqueue(items, new Map(last));
  // assertRoom's rule (only new items count), reserved in one statement: concurrent enqueues share the queue's lock.
  if (maxItems >= 0 && plan.inserts.length > 0) await reserve(sql, queue, maxItems, plan.inserts.length);
  if (plan.collapses.size > 0) await sql.query(SQL.COLLAPSE, collapseParams(plan.collapses));
  if (plan.inserts.length > 0) await sql.query(SQL.INSERT_ITEMS, insertParams(queue, plan.inserts));
  // A collapse changes no channel's counts, and its head only with the priority: those and the channels that gained
  // an item are announced.
  const changed = [...plan.inserts.map((w) => w.key), ...plan.outcomes.filter((o) => o.reordered).map((o) => o.key)];
  await storage.channel(QUEUE_CHANGES).send(afterCommit(sql), ...channelsChanged(queue, changed));
  return plan.outcomes;
}

/** Counts `adding` new items into a bounded queue, or fails with QUEUE_FULL (the transaction then writes nothing). */
export async function reserve(sql: Tx, queue: string, maxItems: number, adding: number): Promise<void> {
  const { rowCount } = await sql.query(SQL.RESERVE_ITEMS, [queue, adding]);
  if (rowCount) return;
  const { rows } = await sql.query<QueueRow>(SQL.QUEUE, [queue]);
  throw new QueueFullError(queue, maxItems, rows[0]?.items ?? 0, adding);
}

function collapseParams(collapses: ReadonlyMap<number, ItemWrite>): unknown[] {
  const writes = [...collapses.values()];
  return [[...collapses.keys()], ...columns(writes)];
}

function insertParams(queue: string, inserts: readonly ItemWrite[]): unknown[] {
  const at = inserts.map((w) => w.at ?? null);
  return [queue, inserts.map((w) => w.id), inserts.map((w) => w.key), ...columns(inserts), at, inserts.map((w) => w.dueAt ?? null)];
}

/** data, updateable, retry_attempts, retry_front, timeout_ms, priority, retry_delay_ms, retry_exponential, as
 * parallel arrays. */
function columns(writes: readonly ItemWrite[]): unknown[][] {
  return [
    writes.map((w) => w.data),
    writes.map((w) => w.item.updateable),
    writes.map((w) => w.item.retryAttempts),
    writes.map((w) => w.item.retryPosition === 'front'),
    writes.map((w) => w.item.timeoutMs),
    writes.map((w) => w.item.priority ?? 0),
    writes.map((w) => w.item.retryDelayMs ?? 0),
    writes.map((w) => w.item.retryBackoff === 'exponential'),
  ];
}
