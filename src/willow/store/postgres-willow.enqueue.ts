import { inlineParams } from '../../platform/storage/postgres/inline-params';
import { afterCommit, ALREADY_COMMITTED } from '../../platform/storage/postgres/pg-channel';
import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import { scalarArray, textArray } from '../../platform/storage/postgres/pg-arrays';
import { channelsOf, planEnqueue, type EnqueueInput, type ItemWrite } from '../domain/enqueue-plan';
import { QueueFullError, QueueNotFoundError } from '../domain/willow.errors';
import type { EnqueueOutcome } from '../willow.store';
import { channelsChanged, QUEUE_CHANGES } from './postgres-willow.changes';
import type { QueueRow } from './postgres-willow.rows';
import * as SQL from './postgres-willow.sql';

type StateRow = { max_items: number } & ({ seq: string; id: string; channel: string; updateable: boolean; priority: number } | { seq: null });

/** APPEND_ITEMS' answer: 0 appended, 1 no such queue, 2 QUEUE_FULL (`items` of `max_items`), 3 a collapse to plan. */
type AppendRow = { status: 0 | 1 | 2 | 3; items: number; max_items: number };

/**
 * The append call found the queue too full for the batch, with no channel of it ending in an updateable waiting item
 * (checked under the channel locks): every item of the batch would have been appended. `full` is the QUEUE_FULL the
 * batch gets; `room` how many items the queue could still take.
 */
export class AppendsRefused extends Error {
  readonly full: QueueFullError;

  constructor(
    private readonly queue: string,
    private readonly maxItems: number,
    private readonly items: number,
    adding: number,
  ) {
    const full = new QueueFullError(queue, maxItems, items, adding);
    super(full.message);
    this.full = full;
  }

  get room(): number {
    return this.maxItems - this.items;
  }

  /** The QUEUE_FULL a request adding `adding` items of the batch gets. */
  refuse(adding: number): QueueFullError {
    return new QueueFullError(this.queue, this.maxItems, this.items, adding);
  }
}

/**
 * Enqueues `items` into `queue`: first as appends in one call (`appendOnly`), the common case; when a channel's last
 * waiting item turns out to be updateable, the enqueue transaction plans and writes the collapses. `collapsing` holds
 * the queues whose updateable items met an updateable tail lately: their batches with updateable items go to the
 * transaction at once (an append attempt would rarely be all they need), until one of them collapses into no stored
 * item; a batch without updateable items always tries the call first.
 */
export async function enqueueItems(storage: PostgresStorage, queue: string, items: EnqueueInput, collapsing: Set<string>): Promise<EnqueueOutcome[]> {
  const updateable = items.some((x) => x.item.updateable);
  if (!updateable || !collapsing.has(queue)) {
    const appended = await appendOnly(storage, queue, items);
    if (appended) return appended;
  }
  const outcomes = await enqueueTx(storage, queue, items);
  if (updateable && collapsedIntoStored(outcomes)) collapsing.add(queue);
  else if (updateable) collapsing.delete(queue);
  return outcomes;
}

/** Whether an item collapsed into one stored before the batch (not only into another item of the batch). */
function collapsedIntoStored(outcomes: readonly EnqueueOutcome[]): boolean {
  const appended = new Set(outcomes.filter((o) => !o.collapsed).map((o) => o.id));
  return outcomes.some((o) => o.collapsed && !appended.has(o.id));
}

/**
 * The batch planned as if none of its channels ended in an updateable waiting item (so nothing collapses into a
 * stored item; items of one channel in the batch still collapse into each other as planEnqueue decides), written by
 * `willow_append_items` in one statement when that holds once the channels are locked; null, with nothing written,
 * when it does not.
 */
async function appendOnly(storage: PostgresStorage, queue: string, items: EnqueueInput): Promise<EnqueueOutcome[] | null> {
  const plan = planEnqueue(items, new Map());
  const [row] = await storage.query<AppendRow>(SQL.APPEND_ITEMS, [...insertParams(queue, plan.inserts), textArray(channelsOf(items))], 'willow_append_items');
  switch (row.status) {
    case 0:
      await storage.channel(QUEUE_CHANGES).send(ALREADY_COMMITTED, ...channelsChanged(queue, plan.inserts.map((w) => w.key)));
      return plan.outcomes;
    case 1:
      throw new QueueNotFoundError(queue);
    case 2:
      throw new AppendsRefused(queue, row.max_items, row.items, plan.inserts.length);
    case 3:
      return null;
    default:
      throw new Error(`willow_append_items answered an unknown status ${String(row.status)}`);
  }
}

/**
 * One enqueue transaction: queue and channel locks, then the queue's bound with the channels' last waiting items
 * (locked), both sent with the BEGIN (`tx`'s opening: one round trip for the three, each statement with its own
 * snapshot, so the read sees every enqueue that held the locks before); the MaxItems check on a bounded queue; one
 * UPDATE for all collapses, one INSERT for all new items, both sent with the COMMIT; the changed channels announced
 * once it has committed. Two round trips on an unbounded queue (four before: the UPDATE and the INSERT alone).
 */
function enqueueTx(storage: PostgresStorage, queue: string, items: EnqueueInput): Promise<EnqueueOutcome[]> {
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
  // Their answers are not read: the writes go with the COMMIT, one round trip for the three.
  if (plan.collapses.size > 0) storage.sendWithCommit(sql, inlineParams(SQL.COLLAPSE, collapseParams(plan.collapses)));
  if (plan.inserts.length > 0) storage.sendWithCommit(sql, inlineParams(SQL.INSERT_ITEMS, insertParams(queue, plan.inserts)));
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
  return [scalarArray([...collapses.keys()]), ...columns(writes)];
}

function insertParams(queue: string, inserts: readonly ItemWrite[]): unknown[] {
  const at = scalarArray(inserts.map((w) => w.at ?? null));
  return [queue, textArray(inserts.map((w) => w.id)), textArray(inserts.map((w) => w.key)), ...columns(inserts), at, scalarArray(inserts.map((w) => w.dueAt ?? null))];
}

/** data, updateable, retry_attempts, retry_front, timeout_ms, priority, retry_delay_ms, retry_exponential, as
 * parallel arrays, written as array literals (see textArray: a batch's Data is not escaped item by item). */
function columns(writes: readonly ItemWrite[]): string[] {
  return [
    textArray(writes.map((w) => w.data)),
    scalarArray(writes.map((w) => w.item.updateable)),
    scalarArray(writes.map((w) => w.item.retryAttempts)),
    scalarArray(writes.map((w) => w.item.retryPosition === 'front')),
    scalarArray(writes.map((w) => w.item.timeoutMs)),
    scalarArray(writes.map((w) => w.item.priority ?? 0)),
    scalarArray(writes.map((w) => w.item.retryDelayMs ?? 0)),
    scalarArray(writes.map((w) => w.item.retryBackoff === 'exponential')),
  ];
}
