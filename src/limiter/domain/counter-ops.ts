import { InvalidInputError } from '../../common/errors';
import { limitGroup } from '../../common/capacity';
import { canonicalTags, type Tags } from '../../common/tags';
import { evaluate, type AggregateKey, type CheckedLimit, type LimitPlan } from './limit-plan';
import { COUNTER_VALUE_MAX } from './validate';

/**
 * Synchronous access to counters and aggregate counts inside ONE store transaction. The operations below are the
 * whole arithmetic of the Limiter; a store runs each of them inside a single transaction, which makes it atomic.
 */
export interface CounterTable {
  /** The counter of a canonical tag encoding; 0 when absent. */
  counter(key: string): number;
  /** Stores a counter; 0 removes it. */
  writeCounter(key: string, value: number): void;
  /** Adds `n` to a counter unless that would take it above `max`: the new value, or null with nothing written. One
   * statement on the embedded store (an increment's read and write together). */
  raiseCounter(key: string, n: number, max: number): number | null;
  /** Takes `n` from a counter, never below 0 (0 removes it): its value before and after. One statement on the
   * embedded store for a counter taken to 0 (a running counter's usual decrement), two otherwise. */
  lowerCounter(key: string, n: number): CounterMove;
  /** An aggregate; 0 when absent. */
  count(aggregate: AggregateKey): number;
  /** Adds `delta` (may be negative) to an aggregate; an aggregate that reaches 0 is removed. */
  addToCount(aggregate: AggregateKey, delta: number): void;
}

export type IncrementOutcome =
  | { readonly allowed: true; readonly counters: number }
  | { readonly allowed: false; readonly refusal: CheckedLimit };

export interface CounterMove {
  readonly previous: number;
  readonly counters: number;
}

/**
 * DESIGN §6.5–6: all-or-nothing; a refusal reads the enforced counts and writes nothing. `at`: the increment's place
 * in a batch command, named in the path of the error for a counter it would raise past the maximum.
 */
export function checkAndIncrement(table: CounterTable, key: string, plan: LimitPlan, n: number, at?: number): IncrementOutcome {
  const verdict = evaluate(plan, plan.enforced.map((limit) => table.count(limit)), n);
  if (verdict.refusal) return { allowed: false, refusal: verdict.refusal };
  const value = table.raiseCounter(key, n, COUNTER_VALUE_MAX);
  if (value === null) {
    const would = table.counter(key) + n;
    const path = at === undefined ? 'Counters' : `[${at}].Counters`;
    throw new InvalidInputError(path, `would raise the counter to ${would}, above the maximum ${COUNTER_VALUE_MAX}; decrement it first`);
  }
  for (const aggregate of plan.touched) table.addToCount(aggregate, n);
  return { allowed: true, counters: value };
}

/** Sets a counter exactly, with no limit check, moving every aggregate that includes it by the same amount. */
export function setCounter(table: CounterTable, key: string, plan: LimitPlan, value: number): CounterMove {
  return moveCounter(table, key, plan, table.counter(key), value);
}

/** Never checks limits and never goes below 0 (an unknown counter is 0). */
export function decrementCounter(table: CounterTable, key: string, plan: LimitPlan, n: number): CounterMove {
  const moved = table.lowerCounter(key, n);
  moveAggregates(table, plan, moved.counters - moved.previous);
  return moved;
}

/** A counter read once (`previous`, a statement on a store) goes to `value`, with every aggregate that includes it. */
function moveCounter(table: CounterTable, key: string, plan: LimitPlan, previous: number, value: number): CounterMove {
  if (value !== previous) table.writeCounter(key, value);
  moveAggregates(table, plan, value - previous);
  return { previous, counters: value };
}

/** `CounterTable.raiseCounter` for a table that reads a counter and then writes it (no statement of its own). */
export function raiseByReadAndWrite(table: Pick<CounterTable, 'counter' | 'writeCounter'>, key: string, n: number, max: number): number | null {
  const value = table.counter(key) + n;
  if (value > max) return null;
  table.writeCounter(key, value);
  return value;
}

/** `CounterTable.lowerCounter` for a table that reads a counter and then writes it (no statement of its own). */
export function lowerByReadAndWrite(table: Pick<CounterTable, 'counter' | 'writeCounter'>, key: string, n: number): CounterMove {
  const previous = table.counter(key);
  const counters = Math.max(0, previous - n);
  if (counters !== previous) table.writeCounter(key, counters);
  return { previous, counters };
}

/** Every aggregate that includes a counter moves with it. */
function moveAggregates(table: CounterTable, plan: LimitPlan, delta: number): void {
  if (delta !== 0) for (const aggregate of plan.touched) table.addToCount(aggregate, delta);
}

export interface CounterEntry {
  readonly tags: Tags;
  readonly counters: number;
}

/** The aggregates of a new rule over existing counters: the sum per projection on its GroupBy (one scan). */
export function groupSums(groupBy: readonly string[], counters: Iterable<CounterEntry>): Map<string, number> {
  const sums = new Map<string, number>();
  for (const { tags, counters: value } of counters) {
    const group = limitGroup(tags, groupBy);
    if (!group) continue;
    const key = canonicalTags(group);
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return sums;
}

/** The aggregate of a new override over existing counters: the sum of the counters holding all its KeyValues. */
export function matchingSum(keyValues: Tags, counters: Iterable<CounterEntry>): number {
  const keys = Object.keys(keyValues);
  const wanted = canonicalTags(keyValues);
  let sum = 0;
  for (const { tags, counters: value } of counters) {
    const group = limitGroup(tags, keys);
    if (group && canonicalTags(group) === wanted) sum += value;
  }
  return sum;
}
