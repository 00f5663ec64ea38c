import type { Database } from 'better-sqlite3';
import { decodeTags } from '../../common/tags';
import type { CounterEntry, CounterMove, CounterTable } from '../domain/counter-ops';
import type { AggregateKey } from '../domain/limit-plan';
import type { StoredCounter } from '../limiter.store';

/** The domain's CounterTable on prepared statements; used only inside a transaction of EmbeddedStorage. */
export class SqliteCounterTable implements CounterTable {
  private readonly sql;

  constructor(db: Database) {
    this.sql = {
      counter: db.prepare<[string], number>('SELECT counters FROM limiter_counters WHERE key = ?').pluck(),
      upsertCounter: db.prepare<[string, number]>(
        'INSERT INTO limiter_counters (key, counters) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET counters = excluded.counters',
      ),
      deleteCounter: db.prepare<[string]>('DELETE FROM limiter_counters WHERE key = ?'),
      // An increment in one statement: a new counter, or one raised while it stays at most @max (else no row).
      raiseCounter: db
        .prepare<[{ key: string; n: number; max: number }], number>(
          `INSERT INTO limiter_counters (key, counters) VALUES (@key, @n) ON CONFLICT (key)
           DO UPDATE SET counters = counters + excluded.counters WHERE counters + excluded.counters <= @max RETURNING counters`,
        )
        .pluck(),
      // A decrement: a counter taken to 0 goes; one that stays above 0 goes down (each answers the value it leaves).
      dropCounter: db.prepare<[string, number], number>('DELETE FROM limiter_counters WHERE key = ? AND counters <= ? RETURNING counters').pluck(),
      lowerCounter: db
        .prepare<[number, string], number>('UPDATE limiter_counters SET counters = counters - ? WHERE key = ? RETURNING counters')
        .pluck(),
      count: db.prepare<[number, string], number>('SELECT count FROM limiter_counts WHERE limit_id = ? AND group_key = ?').pluck(),
      addCount: db
        .prepare<[number, string, number], number>(
          `INSERT INTO limiter_counts (limit_id, group_key, count) VALUES (?, ?, ?)
           ON CONFLICT (limit_id, group_key) DO UPDATE SET count = count + excluded.count RETURNING count`,
        )
        .pluck(),
      deleteCount: db.prepare<[number, string]>('DELETE FROM limiter_counts WHERE limit_id = ? AND group_key = ?'),
      scan: db.prepare<[], StoredCounter>('SELECT key, counters FROM limiter_counters'),
      page: db.prepare<[string, number], StoredCounter>('SELECT key, counters FROM limiter_counters WHERE key > ? ORDER BY key LIMIT ?'),
    };
  }

  counter(key: string): number {
    return this.sql.counter.get(key) ?? 0;
  }

  writeCounter(key: string, value: number): void {
    if (value > 0) this.sql.upsertCounter.run(key, value);
    else this.sql.deleteCounter.run(key);
  }

  raiseCounter(key: string, n: number, max: number): number | null {
    if (n > max) return null;
    return this.sql.raiseCounter.get({ key, n, max }) ?? null;
  }

  lowerCounter(key: string, n: number): CounterMove {
    const dropped = this.sql.dropCounter.get(key, n);
    if (dropped !== undefined) return { previous: dropped, counters: 0 };
    const left = this.sql.lowerCounter.get(n, key);
    return left === undefined ? { previous: 0, counters: 0 } : { previous: left + n, counters: left };
  }

  count(aggregate: AggregateKey): number {
    return this.sql.count.get(aggregate.limitId, aggregate.groupKey) ?? 0;
  }

  addToCount(aggregate: AggregateKey, delta: number): void {
    if (delta === 0) return;
    const count = this.sql.addCount.get(aggregate.limitId, aggregate.groupKey, delta)!;
    if (count <= 0) this.sql.deleteCount.run(aggregate.limitId, aggregate.groupKey);
  }

  /** Every counter, streamed: consume it fully before running another statement (the connection is busy). */
  *entries(): IterableIterator<CounterEntry> {
    for (const row of this.sql.scan.iterate()) yield { tags: decodeTags(row.key), counters: row.counters };
  }

  page(afterKey: string | null, limit: number): StoredCounter[] {
    return this.sql.page.all(afterKey ?? '', limit);
  }
}
