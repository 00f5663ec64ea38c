import type { Tx } from '../../platform/storage/postgres/postgres-storage';
import type { CounterTable } from '../domain/counter-ops';
import type { AggregateKey } from '../domain/limit-plan';
import * as q from './postgres-limiter.sql';

const idOf = (a: AggregateKey): string => `${a.limitId}:${a.groupKey}`;

/**
 * The domain's CounterTable over one counter inside a PostgreSQL transaction: reads answer from the state read
 * under the locks (the counter and the aggregates that were locked), writes are collected and sent in one statement
 * by `flush`. So the arithmetic is exactly the embedded store's (`counter-ops.ts`).
 */
export class PendingCounterTable implements CounterTable {
  private written: number | null = null;
  private readonly deltas = new Map<string, { aggregate: AggregateKey; delta: number }>();
  private readonly counts: ReadonlyMap<string, number>;

  constructor(
    private readonly key: string,
    private readonly current: number,
    read: readonly AggregateKey[],
    counts: readonly number[],
  ) {
    this.counts = new Map(read.map((aggregate, i) => [idOf(aggregate), counts[i]]));
  }

  /** The counter went down (a decrement or set below its value): capacity may have been freed. */
  get lowered(): boolean {
    return this.written !== null && this.written < this.current;
  }

  counter(key: string): number {
    this.expectKey(key);
    return this.current;
  }

  writeCounter(key: string, value: number): void {
    this.expectKey(key);
    this.written = value;
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
  }

  /** Sends the collected writes; aggregates that went down are removed once at 0. */
  async flush(sql: Tx): Promise<void> {
    if (this.written === null || this.written === this.current) return;
    const moves = [...this.deltas.values()].filter((m) => m.delta !== 0);
    const ids = moves.map((m) => m.aggregate.limitId);
    const keys = moves.map((m) => m.aggregate.groupKey);
    await sql.query(q.WRITE_COUNTER, [this.key, this.written, ids, keys, moves.map((m) => m.delta)]);
    if (moves.some((m) => m.delta < 0)) await sql.query(q.DELETE_EMPTY_COUNTS, [ids, keys]);
  }

  private expectKey(key: string): void {
    if (key !== this.key) throw new Error(`counter ${key} was read without its lock`);
  }
}
