import { newId } from '../../common/ids';
import type { NewItem } from '../willow.port';
import type { EnqueueOutcome } from './item';
import { QueueFullError } from './willow.errors';

/** One item to enqueue: its channel, the item, and Data as the JSON text that is stored. */
export interface EnqueueEntry {
  readonly key: string;
  readonly item: NewItem;
  readonly data: string;
  /** When it was enqueued (epoch ms), kept by a new item as `EnqueuedAt`; a collapse keeps the stored one. */
  readonly at?: number;
  /** When a new item is due (epoch ms; null: at once). A collapse keeps the stored item's due time (DESIGN §7.8). */
  readonly dueAt?: number | null;
}

export type EnqueueInput = ReadonlyArray<EnqueueEntry>;

/** What one stored item (new, or collapsed into) is written with. */
export interface ItemWrite {
  readonly id: string;
  readonly key: string;
  item: NewItem;
  data: string;
  /** A new item's enqueue time (epoch ms), or null when not given. */
  readonly at?: number | null;
  /** A new item's due time (epoch ms), or null: due at once. */
  readonly dueAt?: number | null;
}

/** A channel's last waiting item as stored, read before planning (locked, where the store has row locks). */
export interface LastWaiting {
  readonly seq: number;
  readonly id: string;
  readonly updateable: boolean;
  /** Its priority (absent: 0). */
  readonly priority?: number;
}

export interface EnqueuePlan {
  /** One per item, in the order sent. */
  readonly outcomes: EnqueueOutcome[];
  /** Stored items that take new data, by seq (the last write of the batch wins). */
  readonly collapses: Map<number, ItemWrite>;
  /** New items, in line order: each takes the next place at the back of the line. */
  readonly inserts: ItemWrite[];
}

/**
 * DESIGN §7.2: a new item collapses into the channel's last waiting item when that item is updateable; otherwise
 * it is appended. A processing item is never a collapse target (only waiting items are passed here).
 */
export function decideEnqueue(lastWaiting: { readonly updateable: boolean } | null | undefined): 'collapse' | 'append' {
  return lastWaiting?.updateable ? 'collapse' : 'append';
}

/** A channel's last waiting item while the batch is planned: a stored one (`seq`), or one this batch appends. */
interface Tail {
  readonly id: string;
  readonly seq: number | null;
  readonly appended: ItemWrite | null;
  updateable: boolean;
  priority: number;
}

/**
 * Decides every item of a batch in order, as if sent one by one (DESIGN §7.5): collapse into the channel's last
 * waiting item when it is updateable (a stored one, or one this batch appends), append otherwise. The collapsed item
 * takes the new item's Updateable, so `Updateable: false` replaces an updateable tail and the next item appends.
 */
export function planEnqueue(items: EnqueueInput, lastWaiting: ReadonlyMap<string, LastWaiting>): EnqueuePlan {
  const tails = new Map<string, Tail>();
  for (const [key, last] of lastWaiting) {
    tails.set(key, { id: last.id, seq: last.seq, appended: null, updateable: last.updateable, priority: last.priority ?? 0 });
  }
  const plan: EnqueuePlan = { outcomes: [], collapses: new Map(), inserts: [] };
  for (const { key, item, data, at, dueAt } of items) {
    const tail = tails.get(key);
    if (tail && decideEnqueue(tail) === 'collapse') {
      if (tail.appended) Object.assign(tail.appended, { item, data });
      else plan.collapses.set(tail.seq!, { id: tail.id, key, item, data });
      // DESIGN §7.8: a collapse takes the new Priority and keeps its place among equals (and its due time).
      const priority = item.priority ?? 0;
      const reordered = priority !== tail.priority;
      tail.updateable = item.updateable;
      tail.priority = priority;
      plan.outcomes.push({ id: tail.id, collapsed: true, key, priority, reordered });
      continue;
    }
    const write: ItemWrite = { id: newId(), key, item, data, at: at ?? null, dueAt: dueAt ?? null };
    plan.inserts.push(write);
    tails.set(key, { id: write.id, seq: null, appended: write, updateable: item.updateable, priority: item.priority ?? 0 });
    plan.outcomes.push({ id: write.id, collapsed: false, key, priority: item.priority ?? 0 });
  }
  return plan;
}

/** The channels an enqueue of `items` reads the last waiting item of, each once. */
export function channelsOf(items: EnqueueInput): string[] {
  return [...new Set(items.map((x) => x.key))];
}

/**
 * DESIGN §7.2, MaxItems bounds waiting + processing items; only new items count, so a batch of collapses fits even
 * where a lowered MaxItems is already exceeded. Throws QUEUE_FULL (the store then writes nothing). `maxItems` < 0:
 * unbounded.
 */
export function assertRoom(queue: string, bound: { readonly maxItems: number; readonly items: number }, adding: number): void {
  if (adding > 0 && bound.maxItems >= 0 && bound.items + adding > bound.maxItems) {
    throw new QueueFullError(queue, bound.maxItems, bound.items, adding);
  }
}
