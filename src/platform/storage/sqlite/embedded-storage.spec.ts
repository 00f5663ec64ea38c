import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStorage } from './embedded-storage';

type Callback = (error: NodeJS.ErrnoException | null) => void;
/** The module object itself (an `import * as` would be a copy the store does not call through). */
const fs = jest.requireActual<typeof import('node:fs')>('node:fs');

describe(EmbeddedStorage.name, () => {
  const realFdatasync = fs.fdatasync;
  let dir: string;
  let storage: EmbeddedStorage | null;
  /** fdatasync calls held until the test lets them run. */
  let flushes: Array<{ file: string; run: () => void }>;

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'willow-embedded-')));
    storage = null;
    flushes = [];
    jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: Callback) => {
      flushes.push({ file: readlinkSync(`/proc/self/fd/${fd}`), run: () => realFdatasync(fd, callback) });
    }) as typeof fs.fdatasync);
  });
  afterEach(() => {
    for (const flush of flushes.splice(0)) flush.run();
    storage?.close();
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (sync: 'full' | 'normal') => {
    storage = new EmbeddedStorage({ dataDir: dir, sync });
    storage.db.exec('CREATE TABLE t (k TEXT)');
    return storage;
  };
  const insert = (s: EmbeddedStorage, k: string) => s.write(() => s.db.prepare('INSERT INTO t VALUES (?)').run(k).changes);
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('WILLOW_SYNC=full: acknowledges a write only once the write-ahead log is flushed to disk, off the event loop', async () => {
    const s = open('full');
    // COMMIT writes the log without syncing it; the group committer's fdatasync makes it durable.
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(1);
    let acked = false;
    const write = insert(s, 'a').then(() => (acked = true));
    await turns(5);
    expect(flushes.map((f) => f.file)).toEqual([join(dir, 'willow.db-wal')]);
    expect(s.read(() => s.db.prepare('SELECT count(*) AS n FROM t').get())).toEqual({ n: 1 }); // committed...
    expect(acked).toBe(false); // ...but not acknowledged while the flush runs
    // The event loop is free meanwhile: the next write commits, and waits for a flush that starts after its commit.
    let second = false;
    const next = insert(s, 'b').then(() => (second = true));
    await turns(5);
    expect(s.read(() => s.db.prepare('SELECT count(*) AS n FROM t').get())).toEqual({ n: 2 });
    expect(flushes).toHaveLength(1);
    flushes[0].run();
    await write;
    expect(acked).toBe(true);
    await turns(5);
    expect(second).toBe(false);
    expect(flushes).toHaveLength(2);
    flushes[1].run();
    await next;
    expect(second).toBe(true);
  });

  it('tells how long each flush took', async () => {
    const s = open('full');
    const flushed: number[] = [];
    s.observeFlushes((seconds) => flushed.push(seconds));
    const write = insert(s, 'a');
    await turns(5);
    expect(flushed).toEqual([]);
    flushes[0].run();
    await write;
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toBeGreaterThan(0);
  });

  it('WILLOW_SYNC=normal: acknowledges after the commit, without flushing the log', async () => {
    const s = open('normal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(1);
    await insert(s, 'a');
    expect(flushes).toEqual([]);
  });

  it('flushes the log SQLite writes, also when willow.db is a link to a file elsewhere', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const data = join(dir, 'data');
    mkdirSync(data);
    symlinkSync(join(elsewhere, 'willow.db'), join(data, 'willow.db'));
    storage = new EmbeddedStorage({ dataDir: data, sync: 'full' });
    const s = storage;
    s.db.exec('CREATE TABLE t (k TEXT)');
    const write = insert(s, 'a');
    await turns(5);
    // SQLite keeps the log beside the file the link names; a flush of data/willow.db-wal would flush nothing.
    expect(flushes.map((f) => f.file)).toEqual([join(elsewhere, 'willow.db-wal')]);
    flushes[0].run();
    await write;
  });

  it('closing flushes the log at once, before it settles the writes still waiting for a flush', async () => {
    const s = open('full');
    const order: string[] = [];
    const realSyncNow = fs.fdatasyncSync;
    jest.spyOn(fs, 'fdatasyncSync').mockImplementation((fd) => {
      order.push(`flushed ${readlinkSync(`/proc/self/fd/${fd}`)}`);
      realSyncNow(fd);
    });
    const write = insert(s, 'a').then((n) => (order.push('a settled'), n));
    await turns(5);
    expect(flushes).toHaveLength(1); // held: it never completes before the close
    const queued = insert(s, 'b').then((n) => (order.push('b settled'), n)); // not even committed yet
    s.close();
    storage = null;
    await expect(Promise.all([write, queued])).resolves.toEqual([1, 1]);
    expect(order).toEqual([`flushed ${join(dir, 'willow.db-wal')}`, 'a settled', 'b settled']);
    const reopened = new EmbeddedStorage({ dataDir: dir, sync: 'full' });
    try {
      expect(reopened.read(() => reopened.db.prepare('SELECT k FROM t ORDER BY k').pluck().all())).toEqual(['a', 'b']);
    } finally {
      reopened.close();
    }
  });
});
