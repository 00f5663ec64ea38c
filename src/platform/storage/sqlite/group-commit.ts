import type { Database } from 'better-sqlite3';
import { errorCode, StoreUnavailableError } from '../../../common/errors';
import { mapSqliteError } from './sqlite-errors';
import { secondsSince } from '../../../common/clock';

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Makes committed transactions durable off the event loop, for a database whose COMMIT does not sync (WAL mode with
 * `synchronous=NORMAL`): `sync` flushes the write-ahead log to disk (fdatasync) on a thread of libuv's pool.
 */
export interface CommitSync {
  /** Resolves once every transaction committed before the call is on disk; rejects when the disk refused. */
  sync(): Promise<void>;
  /** The same, blocking (before the database closes). */
  syncNow(): void;
}

/** The writes of one transaction (or of one part of a batch), settled together once their commit is durable. */
type Settlement = (failure?: unknown) => void;

interface PendingWrite {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for better-sqlite3. Writes queued in the same turn of the event loop run in ONE transaction, each
 * inside its own savepoint, so concurrent requests share one commit (one fsync) while each stays all-or-nothing and
 * is judged alone (a storage error fails only the writes it hit). A promise settles only after the commit that holds
 * its write is on disk, so an answer is never sent for a write that could still be lost.
 *
 * With a `CommitSync` the disk flush leaves the event loop: COMMIT only writes the log, and one fdatasync at a time
 * runs on libuv's pool for every transaction committed before it started, while the next transactions run. Their
 * writes settle, in commit order, when the flush that covers them has finished. Without one, COMMIT itself syncs
 * (`synchronous=FULL`) and the writes settle right after it.
 */
export class GroupCommitter {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  /** Settlements of committed transactions that no finished flush covers yet, in commit order. */
  private unsynced: Settlement[] = [];
  /** Settlements the flush in progress covers (null when none runs). */
  private syncing: Settlement[] | null = null;
  /** Set once a flush failed: what was committed may not be on disk, so nothing is acknowledged any more. */
  private broken: Error | null = null;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;
  /** Told how long each transaction took, from BEGIN to the end of its COMMIT (metrics). */
  observe: ((seconds: number) => void) | null = null;
  /** Told how long each flush of the log to disk took (metrics; with a CommitSync only). */
  observeFlush: ((seconds: number) => void) | null = null;

  private readonly maxBatch: number;
  private readonly durable: CommitSync | null;

  /** `maxBatch`: the most writes one transaction holds (default 2,000); `durable`: flushes the log off the loop. */
  constructor(
    private readonly db: Database,
    options: { readonly maxBatch?: number; readonly durable?: CommitSync | null } = {},
  ) {
    this.maxBatch = options.maxBatch ?? 2_000;
    this.durable = options.durable ?? null;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT w');
    this.release = db.prepare('RELEASE w');
    this.rollbackTo = db.prepare('ROLLBACK TO w');
  }

  /** Runs `fn` inside a transaction shared with other writes of this turn; resolves once its commit is on disk. */
  write<T>(fn: () => T): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
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
    if (this.broken) for (const op of this.queue.splice(0)) op.reject(this.broken);
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
    this.startSync();
  }

  /**
   * Runs every queued write and makes every commit durable now, blocking, then settles them, with those the flush in
   * progress covers (before closing).
   */
  drain(): void {
    this.flush();
    const waiting = [...(this.syncing?.splice(0) ?? []), ...this.unsynced.splice(0)];
    if (waiting.length === 0) return;
    let failure = this.broken ?? undefined;
    try {
      if (!failure) this.durable?.syncNow();
    } catch (error) {
      failure = this.fail(error);
    }
    for (const settle of waiting) settle(failure);
  }

  /** Whether a flush to disk failed (every write is refused since). */
  get failed(): Error | null {
    return this.broken;
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
    if (!('lost' in result) || batch.length === 1) return this.settleDurable(batch, result);
    const half = Math.ceil(batch.length / 2);
    this.runBatch(batch.slice(0, half));
    this.runBatch(batch.slice(half));
  }

  /**
   * Settles the batch now (COMMIT synced), or once a flush started after its commit has finished (`flush` starts one
   * when all the transactions of its turn have committed).
   */
  private settleDurable(batch: readonly PendingWrite[], result: Outcome[] | { lost: unknown }): void {
    if (!this.durable) return settle(batch, result);
    this.unsynced.push((failure) => settle(batch, result, failure));
  }

  /**
   * One flush at a time, for every transaction committed before it started; those committed meanwhile wait for the
   * next one, which starts as soon as this one ends.
   */
  private startSync(): void {
    if (this.syncing || this.unsynced.length === 0 || !this.durable) return;
    const covered = this.unsynced;
    this.unsynced = [];
    this.syncing = covered;
    const started = process.hrtime.bigint();
    this.durable.sync().then(
      () => {
        this.observeFlush?.(secondsSince(started));
        this.synced(covered);
      },
      (error: unknown) => this.synced(covered, this.fail(error)),
    );
  }

  /** `covered` is empty when `drain` settled it meanwhile. */
  private synced(covered: readonly Settlement[], failure?: Error): void {
    this.syncing = null;
    for (const settle of covered) settle(failure ?? this.broken ?? undefined);
    this.startSync();
  }

  /**
   * A flush that failed leaves the committed transactions' durability unknown (Linux may even drop the pages it could
   * not write): none of them is acknowledged, and every later write is refused, until a restart recovers the
   * database from what is on disk, as PostgreSQL does after a failed fsync.
   */
  private fail(error: unknown): Error {
    const cause = errorCode(error) ?? (error as Error)?.message ?? String(error);
    this.broken ??= new StoreUnavailableError(`the write-ahead log could not be flushed to disk: ${cause}`, 'restart Willow, which recovers from what is on disk');
    return this.broken;
  }

  private transact(batch: readonly PendingWrite[]): Outcome[] | { lost: unknown } {
    const outcomes: Outcome[] = [];
    const started = process.hrtime.bigint();
    try {
      this.begin.run();
      for (const op of batch) outcomes.push(this.runOne(op));
      this.commit.run();
      this.observe?.(secondsSince(started));
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

function settle(batch: readonly PendingWrite[], result: Outcome[] | { lost: unknown }, failure?: unknown): void {
  batch.forEach((op, i) => {
    const outcome = failure !== undefined ? ({ ok: false, error: failure } as const) : 'lost' in result ? ({ ok: false, error: result.lost } as const) : result[i];
    if (outcome.ok) op.resolve(outcome.value);
    else op.reject(outcome.error);
  });
}
