import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, StorageFullError } from '../../../common/errors';
import { GroupCommitter, type CommitSync } from './group-commit';

describe(GroupCommitter.name, () => {
  let dir: string;
  let db: Database.Database;
  /** A second connection: it sees only what has been committed. */
  let reader: Database.Database;
  let transactions: { begin: number; commit: number; rollback: number };
  /** How many of the next COMMITs fail as on a full disk (the transaction stays open, as SQLite leaves it). */
  let faults: { commits: number };
  let sut: GroupCommitter;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'willow-group-commit-'));
    db = new Database(join(dir, 'test.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)');
    reader = new Database(join(dir, 'test.db'), { readonly: true });
    faults = { commits: 0 };
    transactions = countTransactions(db, faults);
    sut = new GroupCommitter(db);
  });
  afterEach(() => {
    reader.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (k: string) => db.prepare('INSERT INTO t (k) VALUES (?)').run(k);
  const committedKeys = () => reader.prepare('SELECT k FROM t ORDER BY k').pluck().all() as string[];

  it('runs the writes queued in one turn in one transaction and settles them only after its commit', async () => {
    const during: Array<{ inTransaction: boolean; committed: number }> = [];
    const atSettle: number[] = [];
    const writes = ['a', 'b', 'c', 'd', 'e'].map((k) =>
      sut
        .write(() => {
          insert(k);
          during.push({ inTransaction: db.inTransaction, committed: committedKeys().length });
        })
        .then(() => atSettle.push(committedKeys().length)),
    );
    await Promise.all(writes);
    expect(transactions).toEqual({ begin: 1, commit: 1, rollback: 0 });
    expect(during).toEqual(Array(5).fill({ inTransaction: true, committed: 0 }));
    expect(atSettle).toEqual([5, 5, 5, 5, 5]);
  });

  it('resolves each write with its own result, settling in queue order', async () => {
    const settled: number[] = [];
    const writes = [0, 1, 2, 3, 4].map((i) => sut.write(() => i * 10).then((v) => (settled.push(i), v)));
    expect(await Promise.all(writes)).toEqual([0, 10, 20, 30, 40]);
    expect(settled).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives writes of later turns their own transaction', async () => {
    await sut.write(() => insert('a'));
    await sut.write(() => insert('b'));
    expect(transactions.commit).toBe(2);
    expect(committedKeys()).toEqual(['a', 'b']);
  });

  it('splits a queue longer than maxBatch into several transactions', async () => {
    sut = new GroupCommitter(db, { maxBatch: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => sut.write(() => insert(k))));
    expect(transactions.commit).toBe(3);
    expect(committedKeys()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it.each([
    ['a DomainError', () => new InvalidInputError('KeyValues', 'is required')],
    ['a plain exception', () => new TypeError('bug in a store')],
  ])('undoes only the write that threw %s and rejects only its promise', async (_, makeError) => {
    const error = makeError();
    const outcomes = await Promise.allSettled([
      sut.write(() => (insert('before'), 'ok-1')),
      sut.write(() => {
        insert('failing');
        throw error;
      }),
      sut.write(() => (insert('after'), 'ok-2')),
    ]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'ok-1' },
      { status: 'rejected', reason: error },
      { status: 'fulfilled', value: 'ok-2' },
    ]);
    expect(transactions).toEqual({ begin: 1, commit: 1, rollback: 0 });
    expect(committedKeys()).toEqual(['after', 'before']);
  });

  it('finds a write that loses the whole transaction by halving the batch, not by one commit per write', async () => {
    const keys = Array.from({ length: 64 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const outcomes = await Promise.allSettled(
      keys.map((k) =>
        sut.write(() => {
          insert(k);
          if (k === 'k37') {
            db.exec('ROLLBACK'); // as SQLite does on some I/O errors: the whole transaction is gone
            throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
          }
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    expect((outcomes[37] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(committedKeys()).toEqual(keys.filter((k) => k !== 'k37'));
    // 1 for the whole batch, then 2 per halving down to the single write: 64 -> 32 -> ... -> 1.
    expect(transactions.begin).toBe(1 + 2 * Math.log2(64));
  });

  it('rejects with STORAGE_FULL only the write that does not fit, and commits the others of its batch', async () => {
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const outcomes = await Promise.allSettled([
      sut.write(() => insert('small')),
      sut.write(() => db.prepare('INSERT INTO t VALUES (?, randomblob(200000))').run('large')),
      sut.write(() => insert('small-after')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StorageFullError);
    expect(db.inTransaction).toBe(false);
    expect(committedKeys()).toEqual(['small', 'small-after']);

    db.pragma('max_page_count = 1000000');
    await sut.write(() => db.prepare('INSERT INTO t VALUES (?, randomblob(200000))').run('large'));
    expect(committedKeys()).toEqual(['large', 'small', 'small-after']);
  });

  it('runs each write of a batch again alone when its commit fails, so the writes that fit are committed', async () => {
    faults.commits = 1;
    const outcomes = await Promise.allSettled([sut.write(() => insert('a')), sut.write(() => insert('b'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(committedKeys()).toEqual(['a', 'b']);
    expect(transactions).toEqual({ begin: 3, commit: 3, rollback: 1 });
  });

  it('rejects a write with STORAGE_FULL when its own transaction cannot commit either, and recovers after', async () => {
    faults.commits = 3;
    const outcomes = await Promise.allSettled([sut.write(() => insert('a')), sut.write(() => insert('b'))]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code: string }).code : o.status))).toEqual(['STORAGE_FULL', 'STORAGE_FULL']);
    expect(committedKeys()).toEqual([]);
    await sut.write(() => insert('c'));
    expect(committedKeys()).toEqual(['c']);
  });

  describe('with a CommitSync (the log flushed off the event loop)', () => {
    /** Flushes held until the test ends them. */
    let flushes: Array<{ committed: string[]; end: (error?: Error) => void }>;
    const durable: CommitSync = {
      sync: () => new Promise<void>((resolve, reject) => flushes.push({ committed: committedKeys(), end: (error) => (error ? reject(error) : resolve()) })),
      syncNow: () => undefined,
    };
    const turns = async (n = 5) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    beforeEach(() => {
      flushes = [];
      sut = new GroupCommitter(db, { durable });
    });

    it('settles writes in commit order once a flush started after their commit has ended, one flush at a time', async () => {
      const settled: string[] = [];
      const first = ['a', 'b'].map((k) => sut.write(() => insert(k)).then(() => settled.push(k)));
      await turns();
      expect(flushes.map((f) => f.committed)).toEqual([['a', 'b']]);
      const later = ['c', 'd'].map((k) => sut.write(() => insert(k)).then(() => settled.push(k)));
      await turns();
      expect(committedKeys()).toEqual(['a', 'b', 'c', 'd']); // the loop went on committing meanwhile
      expect(flushes).toHaveLength(1); // but the next flush waits for this one
      expect(settled).toEqual([]);
      flushes[0].end();
      await Promise.all(first);
      await turns();
      expect(settled).toEqual(['a', 'b']);
      expect(flushes.map((f) => f.committed)).toEqual([['a', 'b'], ['a', 'b', 'c', 'd']]);
      flushes[1].end();
      await Promise.all(later);
      expect(settled).toEqual(['a', 'b', 'c', 'd']);
    });

    it('acknowledges nothing once a flush failed: its writes, those committed after it and every later write fail', async () => {
      const covered = sut.write(() => insert('a'));
      await turns();
      const after = sut.write(() => insert('b'));
      await turns();
      flushes[0].end(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      const refusal = { code: 'STORE_UNAVAILABLE', message: expect.stringContaining('could not be flushed to disk: EIO') };
      await expect(covered).rejects.toMatchObject(refusal);
      await turns();
      flushes[1]?.end();
      await expect(after).rejects.toMatchObject(refusal);
      await expect(sut.write(() => insert('c'))).rejects.toMatchObject(refusal);
      expect(committedKeys()).toEqual(['a', 'b']);
      expect(sut.failed).toMatchObject(refusal);
    });

    it('runs no write queued before a flush failed, and drain settles nothing as flushed after it', async () => {
      const covered = sut.write(() => insert('a'));
      await turns();
      const committedAfter = sut.write(() => insert('b'));
      await turns(); // committed, waiting for the next flush
      const queued = sut.write(() => insert('c')); // its group commit has not run yet
      flushes[0].end(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      await expect(covered).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(queued).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const syncNow = jest.spyOn(durable, 'syncNow');
      sut.drain(); // closing: a flush that succeeds now cannot vouch for what followed a lost write
      await expect(committedAfter).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(syncNow).not.toHaveBeenCalled();
      expect(committedKeys()).toEqual(['a', 'b']);
    });

    it('drain flushes at once, then settles what waits, also the writes of the flush in progress', async () => {
      const order: string[] = [];
      jest.spyOn(durable, 'syncNow').mockImplementation(() => order.push(`flushed ${committedKeys().join(',')}`));
      const inFlight = sut.write(() => insert('a')).then(() => order.push('a settled'));
      await turns();
      const queued = sut.write(() => insert('b')).then(() => order.push('b settled'));
      sut.drain();
      await Promise.all([inFlight, queued]);
      expect(order).toEqual(['flushed a,b', 'a settled', 'b settled']);
      flushes[0].end(); // the flush that was in progress ends later
      await turns();
      expect(order).toHaveLength(3);
    });

    it('starts one flush for the transactions of one turn, even when they are many', async () => {
      sut = new GroupCommitter(db, { maxBatch: 2, durable });
      const writes = ['a', 'b', 'c', 'd', 'e'].map((k) => sut.write(() => insert(k)));
      await turns();
      expect(transactions.commit).toBe(3);
      expect(flushes.map((f) => f.committed)).toEqual([['a', 'b', 'c', 'd', 'e']]);
      flushes[0].end();
      await Promise.all(writes);
    });
  });

  it('flush runs the queued writes at once (before closing the database)', async () => {
    const pending = sut.write(() => insert('a'));
    sut.flush();
    expect(committedKeys()).toEqual(['a']);
    await expect(pending).resolves.toBeDefined();
  });
});

/** Counts the transaction statements the committer runs, by wrapping the statements it prepares. */
function countTransactions(db: Database.Database, faults: { commits: number }): { begin: number; commit: number; rollback: number } {
  const counts = { begin: 0, commit: 0, rollback: 0 };
  const names: Record<string, keyof typeof counts> = { 'BEGIN IMMEDIATE': 'begin', COMMIT: 'commit', ROLLBACK: 'rollback' };
  const prepare = db.prepare.bind(db);
  jest.spyOn(db, 'prepare').mockImplementation(((sql: string) => {
    const statement = prepare(sql);
    const name = names[sql];
    if (name) {
      const run = statement.run.bind(statement);
      statement.run = (...args: unknown[]) => {
        counts[name]++;
        if (name === 'commit' && faults.commits > 0 && faults.commits--) {
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        }
        return run(...(args as []));
      };
    }
    return statement;
  }) as typeof db.prepare);
  return counts;
}
