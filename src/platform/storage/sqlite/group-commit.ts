import type { Database } from 'better-sqlite3';
import { mapSqliteError } from './sqlite-errors';

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

interface PendingWrite {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for better-sqlite3. Writes queued in the same turn of the event loop run in ONE transaction, each
 * inside its own savepoint, so concurrent requests share one commit (one fsync with `synchronous=FULL`) while each
 * stays all-or-nothing and is judged alone (a storage error fails only the writes it hit). A promise settles only
 * after the commit that holds its write, so an answer is never sent for a write that could still be lost.
 */
export class GroupCommitter {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;
  /** Told how long each transaction took, from BEGIN to the end of its COMMIT (metrics). */
  observe: ((seconds: number) => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 2_000,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT w');
    this.release = db.prepare('RELEASE w');
    this.rollbackTo = db.prepare('ROLLBACK TO w');
  }

  /** Runs `fn` inside a transaction shared with other writes of this turn; resolves once committed. */
  write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs every queued write now (used before closing the database). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
  }

  /**
   * One transaction for the batch. A write that fails is undone alone (its savepoint) and the others go on. When the
   * transaction itself is lost (SQLite rolled it back, or its commit failed, as on a full disk) nothing of it was
   * committed: the batch is split in halves, each run again in order, down to single writes. So one write that does
   * not fit never fails another that does (the first writes once space is back succeed), and finding it costs about
   * log n commits rather than one commit (and fsync) per write, which would hold the event loop for seconds.
   */
  private runBatch(batch: readonly PendingWrite[]): void {
    const result = this.transact(batch);
    if (!('lost' in result) || batch.length === 1) return settle(batch, result);
    const half = Math.ceil(batch.length / 2);
    this.runBatch(batch.slice(0, half));
    this.runBatch(batch.slice(half));
  }

  private transact(batch: readonly PendingWrite[]): Outcome[] | { lost: unknown } {
    const outcomes: Outcome[] = [];
    const started = process.hrtime.bigint();
    try {
      this.begin.run();
      for (const op of batch) outcomes.push(this.runOne(op));
      this.commit.run();
      this.observe?.(Number(process.hrtime.bigint() - started) / 1e9);
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      return { lost: mapSqliteError(error) };
    }
  }

  /** A failed write undoes only its own savepoint; throws only when the transaction is gone. */
  private runOne(op: PendingWrite): Outcome {
    this.savepoint.run();
    try {
      const value = op.fn();
      this.release.run();
      return { ok: true, value };
    } catch (error) {
      if (!this.db.inTransaction) throw error;
      this.rollbackTo.run();
      this.release.run();
      return { ok: false, error: mapSqliteError(error) };
    }
  }
}

function settle(batch: readonly PendingWrite[], result: Outcome[] | { lost: unknown }): void {
  batch.forEach((op, i) => {
    const outcome = 'lost' in result ? ({ ok: false, error: result.lost } as const) : result[i];
    if (outcome.ok) op.resolve(outcome.value);
    else op.reject(outcome.error);
  });
}
