import type { Database } from 'better-sqlite3';
import { decodeTags } from '../../common/tags';
import type { CounterEntry, CounterTable } from '../domain/counter-ops';
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
