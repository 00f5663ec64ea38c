import { inlineParams } from '../../platform/storage/postgres/inline-params';
import { lowerByReadAndWrite, raiseByReadAndWrite, type CounterMove, type CounterTable } from '../domain/counter-ops';
import type { AggregateKey } from '../domain/limit-plan';
import * as q from './postgres-limiter.sql';

const idOf = (a: AggregateKey): string => `${a.limitId}:${a.groupKey}`;

/** Each aggregate once, in first-seen order. */
export function distinctAggregates(aggregates: readonly AggregateKey[]): AggregateKey[] {
  return [...new Map(aggregates.map((a) => [idOf(a), a])).values()];
}

/**
 * The domain's CounterTable over the counters of one batch of writes inside a PostgreSQL transaction: reads answer
 * from the state read once under the batch's locks (its counters and the aggregates it locked) as the earlier writes
 * of the batch left it; writes are collected and given back together by `writes`, to send with the COMMIT. So the
 * arithmetic is exactly the embedded store's (`counter-ops.ts`), write after write, with two statements for the whole
 * batch instead of two per write.
 */
export class PendingCounterTable implements CounterTable {
  private readonly counters: Map<string, number>;
  private readonly counts: Map<string, number>;
  private readonly written = new Set<string>();
  private readonly deltas = new Map<string, { aggregate: AggregateKey; delta: number }>();

  constructor(keys: readonly string[], counters: readonly number[], read: readonly AggregateKey[], counts: readonly number[]) {
    this.counters = new Map(keys.map((key, i) => [key, counters[i]]));
    this.counts = new Map(read.map((aggregate, i) => [idOf(aggregate), counts[i]]));
  }

  counter(key: string): number {
    const value = this.counters.get(key);
    if (value === undefined) throw new Error(`counter ${key} was read without its lock`);
    return value;
  }

  writeCounter(key: string, value: number): void {
    this.counter(key);
    this.counters.set(key, value);
    this.written.add(key);
  }

  raiseCounter(key: string, n: number, max: number): number | null {
    return raiseByReadAndWrite(this, key, n, max);
  }

  lowerCounter(key: string, n: number): CounterMove {
    return lowerByReadAndWrite(this, key, n);
  }

  count(aggregate: AggregateKey): number {
    const count = this.counts.get(idOf(aggregate));
    if (count === undefined) throw new Error(`aggregate ${idOf(aggregate)} was read without its lock`);
    return count;
  }

  addToCount(aggregate: AggregateKey, delta: number): void {
    const id = idOf(aggregate);
    const entry = this.deltas.get(id);
    this.deltas.set(id, { aggregate, delta: (entry?.delta ?? 0) + delta });
    const count = this.counts.get(id);
    if (count !== undefined) this.counts.set(id, count + delta);
  }

  /** Every collected write as statements without parameters (`inlineParams`), to send in order: one writing them all
   * (counters in key order, aggregates in lock order), then one removing the aggregates that went down to 0. */
  writes(): string[] {
    const keys = [...this.written].sort();
    const moves = [...this.deltas.values()].filter((m) => m.delta !== 0);
    if (keys.length === 0 && moves.length === 0) return [];
    const ids = moves.map((m) => m.aggregate.limitId);
    const groups = moves.map((m) => m.aggregate.groupKey);
    const write = inlineParams(q.WRITE_COUNTERS, [keys, keys.map((k) => this.counters.get(k)), ids, groups, moves.map((m) => m.delta)]);
    return moves.some((m) => m.delta < 0) ? [write, inlineParams(q.DELETE_EMPTY_COUNTS, [ids, groups])] : [write];
  }
}
