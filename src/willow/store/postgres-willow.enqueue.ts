import { newId } from '../../common/ids';
import { afterCommit } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import { decideEnqueue } from '../domain/retry-policy';
import { QueueFullError, QueueNotFoundError } from '../domain/willow.errors';
import type { NewItem } from '../willow.port';
import type { EnqueueOutcome } from '../willow.store';
import { channelsChanged, QUEUE_CHANGES } from './postgres-willow.changes';
import type { QueueRow } from './postgres-willow.rows';
import * as SQL from './postgres-willow.sql';

export type EnqueueInput = ReadonlyArray<{ readonly key: string; readonly item: NewItem; readonly data: string }>;

interface Write {
  readonly id: string;
  readonly key: string;
  item: NewItem;
  data: string;
}

/** A channel's last waiting item while the batch is planned: a stored one (`seq`), or one this batch appends. */
interface Tail {
  readonly id: string;
  readonly seq: string | null;
  readonly appended: Write | null;
  updateable: boolean;
}

interface Plan {
  readonly outcomes: EnqueueOutcome[];
  /** Stored items that take new data, by seq (the last write of the batch wins). */
  readonly collapses: Map<string, Write>;
  /** New items, in line order. */
  readonly inserts: Write[];
}

type LastWaiting = ReadonlyMap<string, { readonly seq: string; readonly id: string; readonly updateable: boolean }>;

/**
 * Decides every item of a batch in order, as if sent one by one: collapse into the channel's last waiting item when it
 * is updateable (a stored one, or one this batch appends), append otherwise.
 */
export function planEnqueue(items: EnqueueInput, lastWaiting: LastWaiting): Plan {
  const tails = new Map<string, Tail>();
  for (const [key, last] of lastWaiting) tails.set(key, { id: last.id, seq: last.seq, appended: null, updateable: last.updateable });
  const plan: Plan = { outcomes: [], collapses: new Map(), inserts: [] };
  for (const { key, item, data } of items) {
    const tail = tails.get(key);
    if (tail && decideEnqueue(tail) === 'collapse') {
      if (tail.appended) Object.assign(tail.appended, { item, data });
      else plan.collapses.set(tail.seq!, { id: tail.id, key, item, data });
      tail.updateable = item.updateable;
      plan.outcomes.push({ id: tail.id, collapsed: true, key });
      continue;
    }
    const write: Write = { id: newId(), key, item, data };
    plan.inserts.push(write);
    tails.set(key, { id: write.id, seq: null, appended: write, updateable: item.updateable });
    plan.outcomes.push({ id: write.id, collapsed: false, key });
  }
  return plan;
}

type StateRow = { max_items: number } & ({ seq: string; id: string; channel: string; updateable: boolean } | { seq: null });

/**
 * One enqueue transaction: queue and channel locks; the queue's bound with the channels' last waiting items (locked);
 * the MaxItems check on a bounded queue; one UPDATE for all collapses, one INSERT for all new items; the changed
 * channels announced once it has committed.
 */
export async function enqueueTx(storage: PostgresStorage, sql: Tx, queue: string, items: EnqueueInput): Promise<EnqueueOutcome[]> {
  const keys = [...new Set(items.map((x) => x.key))];
  await sql.query(SQL.LOCK_FOR_ENQUEUE, [queue, keys]);
  const { rows } = await sql.query<StateRow>(SQL.ENQUEUE_STATE, [queue, keys]);
  if (rows.length === 0) throw new QueueNotFoundError(queue);
  const maxItems = rows[0].max_items;
  const plan = planEnqueue(items, new Map(rows.flatMap((r) => (r.seq === null ? [] : [[r.channel, r] as const]))));
  // Only new items count: a batch of collapses fits even where a lowered MaxItems is already exceeded.
  if (maxItems >= 0 && plan.inserts.length > 0) await reserve(sql, queue, maxItems, plan.inserts.length);
  if (plan.collapses.size > 0) await sql.query(SQL.COLLAPSE, collapseParams(plan.collapses));
  if (plan.inserts.length > 0) await sql.query(SQL.INSERT_ITEMS, insertParams(queue, plan.inserts));
  // A collapse changes no channel's counts or head: only channels that gained an item are announced.
  await storage.channel(QUEUE_CHANGES).send(afterCommit(sql), ...channelsChanged(queue, plan.inserts.map((w) => w.key)));
  return plan.outcomes;
}

/** Counts `adding` new items into a bounded queue, or fails with QUEUE_FULL (the transaction then writes nothing). */
export async function reserve(sql: Tx, queue: string, maxItems: number, adding: number): Promise<void> {
  const { rowCount } = await sql.query(SQL.RESERVE_ITEMS, [queue, adding]);
  if (rowCount) return;
  const { rows } = await sql.query<QueueRow>(SQL.QUEUE, [queue]);
  throw new QueueFullError(queue, maxItems, rows[0]?.items ?? 0, adding);
}

function collapseParams(collapses: ReadonlyMap<string, Write>): unknown[] {
  const writes = [...collapses.values()];
  return [[...collapses.keys()], ...columns(writes)];
}

function insertParams(queue: string, inserts: readonly Write[]): unknown[] {
  return [queue, inserts.map((w) => w.id), inserts.map((w) => w.key), ...columns(inserts)];
}

/** data, updateable, retry_attempts, retry_front, timeout_ms, as parallel arrays. */
function columns(writes: readonly Write[]): unknown[][] {
  return [
    writes.map((w) => w.data),
    writes.map((w) => w.item.updateable),
    writes.map((w) => w.item.retryAttempts),
    writes.map((w) => w.item.retryPosition === 'front'),
    writes.map((w) => w.item.timeoutMs),
  ];
}
