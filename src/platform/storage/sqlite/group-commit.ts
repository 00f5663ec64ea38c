import type { Database } from 'better-sqlite3';
import { DomainError } from '../../../common/errors';
import { mapSqliteError } from './sqlite-errors';

interface PendingWrite {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for better-sqlite3. Writes queued in the same turn of the event loop run in ONE transaction, each
 * inside its own savepoint, so concurrent requests share one commit (one fsync with `synchronous=FULL`) while each
 * stays all-or-nothing. A promise settles only after the commit that holds its write, so an answer is never sent
 * for a write that could still be lost.
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

  private runBatch(batch: readonly PendingWrite[]): void {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.begin.run();
      for (const op of batch) outcomes.push(this.runOne(op));
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      const mapped = mapSqliteError(error);
      for (const op of batch) op.reject(mapped);
      return;
    }
    batch.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.error);
    });
  }

  /** A domain error undoes only its own write; a storage error aborts the whole batch (rethrown). */
  private runOne(op: PendingWrite): { ok: true; value: unknown } | { ok: false; error: unknown } {
    this.savepoint.run();
    try {
      const value = op.fn();
      this.release.run();
      return { ok: true, value };
    } catch (error) {
      if (!this.db.inTransaction) throw error;
      this.rollbackTo.run();
      this.release.run();
      if (error instanceof DomainError) return { ok: false, error };
      if (isSqliteError(error)) throw error;
      return { ok: false, error };
    }
  }
}

function isSqliteError(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('SQLITE_');
}
