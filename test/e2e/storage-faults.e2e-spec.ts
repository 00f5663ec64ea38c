import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedStorage } from '../../src/platform/storage/sqlite/embedded-storage';
import { STORAGE } from '../../src/platform/storage/storage-handle';
import { parseSamples, valueOf } from '../support/prometheus-text';
import { createTestApp, type TestApp } from '../support/test-app';

/** SQLite's default page limit; raising it back is what freeing disk space looks like to the store. */
const DEFAULT_MAX_PAGE_COUNT = 1_073_741_823;

/**
 * A full disk (DESIGN §8), simulated by capping the database at its current size with `PRAGMA max_page_count`:
 * writes answer 507 STORAGE_FULL (never 500), reads go on, and once space is back writes work again and nothing
 * acknowledged was lost.
 */
describe('Storage faults', () => {
  let dir: string;
  let sut: TestApp;
  let storage: EmbeddedStorage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'willow-storage-faults-'));
    sut = await createTestApp({ WILLOW_DATA_DIR: dir });
    storage = sut.app.get<EmbeddedStorage>(STORAGE);
  });
  afterEach(async () => {
    await sut.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const acquire = (tags: object) => sut.http().post('/v1/locks').send({ KeyValues: tags, Timeout: '1h', Wait: 0 });
  const listedIds = async () => ((await sut.http().get('/v1/locks').expect(200)).body as Array<{ LockID: string }>).map((l) => l.LockID).sort();
  const fillDisk = () => storage.db.pragma(`max_page_count = ${storage.db.pragma('page_count', { simple: true }) as number}`);
  const freeDisk = () => storage.db.pragma(`max_page_count = ${DEFAULT_MAX_PAGE_COUNT}`);

  it('answers writes 507 STORAGE_FULL while the disk is full, serves reads, and loses nothing once space is back', async () => {
    const granted: Array<{ LockID: string; SessionID: string }> = [];
    for (let i = 0; i < 3; i++) granted.push((await acquire({ before: i }).expect(201)).body);

    fillDisk();
    let full: { status: number; body: unknown } | undefined;
    let next = 0;
    for (; next < 100 && !full; next++) {
      const res = await acquire(largeTags(next));
      expect(res.status).not.toBe(500);
      if (res.status === 201) granted.push(res.body);
      else full = { status: res.status, body: res.body };
    }
    expect(full).toEqual({ status: 507, body: { Message: expect.any(String), Code: 'STORAGE_FULL' } });
    const again = await acquire(largeTags(next));
    expect([again.status, again.body.Code]).toEqual([507, 'STORAGE_FULL']);

    await sut.http().get('/health/live').expect(200);
    expect(await listedIds()).toEqual(granted.map((g) => g.LockID).sort());
    await sut.http().post('/v1/locks/query').send({ Where: { before: 0 } }).expect(200);
    const held = await acquire({ before: 0 });
    expect([held.status, held.body.Code]).toEqual([409, 'LOCK_HELD']);

    freeDisk();
    granted.push((await acquire(largeTags(next)).expect(201)).body);
    await sut.http().post(`/v1/locks/${granted[0].LockID}/heartbeat`).send({ SessionID: granted[0].SessionID }).expect(200);

    // Restart on the same directory: every acknowledged grant is still there.
    const expected = granted.map((g) => g.LockID).sort();
    await sut.close();
    sut = await createTestApp({ WILLOW_DATA_DIR: dir });
    expect(await listedIds()).toEqual(expected);
  });

  it('answers concurrent writes on a full disk 201 or 507, never 500, and keeps exactly the acknowledged ones', async () => {
    fillDisk();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => acquire(largeTags(i))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 201 || s === 507)).toBe(true);
    expect(statuses).toContain(507);
    const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.body.LockID as string);
    freeDisk();
    expect(await listedIds()).toEqual(acknowledged.sort());
  });

  // Writes that arrive together share one commit; one that still does not fit must not fail the others with it.
  it('serves the writes that fit once some space is back, even beside writes that still do not', async () => {
    await sut.http().post('/v1/queues').send({ Name: 'q' }).expect(201);
    for (let i = 0; i < 6; i++) await sut.http().post('/v1/queues/q/items').send({ KeyValues: { job: i }, Data: i }).expect(201);
    fillDisk();
    storage.db.pragma(`max_page_count = ${(storage.db.pragma('page_count', { simple: true }) as number) + 4}`); // a little space back
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => [
        sut.http().post('/v1/queues/q/items').send({ KeyValues: largeTags(i), Data: 'x' }),
        sut.http().post('/v1/queues/q/items/dequeue').send({ Wait: 0 }),
      ]).flat(),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((_, i) => i % 2 === 1)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses.filter((_, i) => i % 2 === 0)).toContain(507);
  });
});

/**
 * WILLOW_SYNC=full on disk: a write is answered once the log holding it is flushed to disk (fdatasync). A flush the
 * disk refuses (simulated by failing fdatasync) answers none of its writes 2xx, and every later write 503 until a
 * restart, as the data on disk is then unknown; reads go on and readiness fails.
 */
describe('Storage faults: a failed flush of the log', () => {
  const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
  let dir: string;
  let sut: TestApp;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'willow-flush-faults-'));
    sut = await createTestApp({ WILLOW_DATA_DIR: dir });
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await sut.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers no write of a failed flush, refuses every later write with 503 until a restart, and reports not ready', async () => {
    await sut.http().post('/v1/queues').send({ Name: 'q' }).expect(201);
    await sut.http().post('/v1/queues/q/items').send({ KeyValues: { n: 1 }, Data: 1 }).expect(201);
    await sut.http().get('/health/ready').expect(200);
    expect(valueOf(parseSamples((await sut.http().get('/metrics').expect(200)).text), 'willow_store_flush_seconds_count')).toBeGreaterThan(0);

    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const flush = jest.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, callback: (error: Error) => void) => callback(eio)) as typeof fs.fdatasync);
    const lost = await sut.http().post('/v1/queues/q/items').send({ KeyValues: { n: 2 }, Data: 2 });
    expect([lost.status, lost.body.Code]).toEqual([503, 'STORE_UNAVAILABLE']);
    expect(lost.body.Message).toContain('could not be flushed to disk: EIO');
    expect(flush).toHaveBeenCalled();

    flush.mockRestore(); // the disk answers again: what it lost is unknown, so writes stay refused until a restart
    const after = await sut.http().post('/v1/queues/q/items').send({ KeyValues: { n: 3 }, Data: 3 });
    expect([after.status, after.body.Code]).toEqual([503, 'STORE_UNAVAILABLE']);
    await sut.http().get('/health/ready').expect(503);
    await sut.http().get('/v1/queues/q').expect(200);

    // A restart: closing left the database as it is on disk (no checkpoint); the process ending lets its lock go.
    const storage = sut.app.get<EmbeddedStorage>(STORAGE);
    await sut.close();
    expect(storage.db.open).toBe(true);
    storage.db.close();
    sut = await createTestApp({ WILLOW_DATA_DIR: dir });
    await sut.http().post('/v1/queues/q/items').send({ KeyValues: { n: 4 }, Data: 4 }).expect(201);
    await sut.http().get('/health/ready').expect(200);
  });
});

/** A distinct tag set of about 64 KiB (64 keys of 1,000 characters), so every grant needs new pages. */
function largeTags(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: 64 }, (_, k) => [`k${k}`, `${n}:${k}:`.padEnd(1_000, 'x')]));
}
