import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startServer, type ChildServer } from '../support/child-server';
import { storeCases } from '../support/stores';
import type { TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** The README's restore command (Operations, Backups), as a user would paste it. */
function readmeRestore(): string {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const command = /To restore, stop Willow[\s\S]*?`(cp willow-backup\.db data\/[^`]*)`/.exec(readme);
  if (!command) throw new Error('README: no restore command under Backups');
  return command[1];
}

/**
 * GET /v1/backup on a real server process: a copy taken while writes go on holds everything acknowledged before it
 * was asked for, and a server started on it (put in place of willow.db, as the README says) serves all of it.
 */
describe('Online backup (embedded store, a real process)', () => {
  const dirs: string[] = [];
  const servers: ChildServer[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'willow-backup-e2e-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const s of servers) if (s.process.exitCode === null && s.process.signalCode === null) await s.kill9();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('copies a running store consistently, and a server started on the copy has everything acknowledged before', async () => {
    const live = newDir();
    const a = await startServer({ WILLOW_DATA_DIR: live });
    servers.push(a);
    expect((await call(a.url, 'POST', '/v1/queues', { Name: 'builds' })).status).toBe(201);
    expect((await call(a.url, 'POST', '/v1/limiter/rules', { Name: 'per_branch', GroupBy: ['branch'], Limit: 1 })).status).toBe(201);
    const lock = await call(a.url, 'POST', '/v1/locks', { KeyValues: { deploy: 'prod' }, Timeout: '1h' });
    expect(lock.status).toBe(201);
    const ids: string[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const items = Array.from({ length: 100 }, (_, n) => ({ KeyValues: { branch: `b${batch}-${n}` }, Data: { batch, n, text: 'x'.repeat(200) }, Updateable: false }));
      const res = await call(a.url, 'POST', '/v1/queues/builds/items/batch', { Items: items });
      expect(res.status).toBe(200);
      ids.push(...(res.body.Results as Array<{ ID: string }>).map((r) => r.ID));
    }

    // Enqueues go on while the copy is taken and downloaded.
    const acked: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        const res = await call(a.url, 'POST', '/v1/queues/builds/items', { KeyValues: { branch: `w${n}` }, Data: n, Updateable: false });
        if (res.status !== 201) throw new Error(`enqueue during the backup: ${res.status} ${JSON.stringify(res.body)}`);
        acked.push(res.body.ID);
      }
    })();
    while (acked.length < 20) await new Promise((r) => setTimeout(r, 5));
    const before = [...acked];
    const res = await fetch(`${a.url}/v1/backup`);
    const copy = Buffer.from(await res.arrayBuffer());
    writing = false;
    await writer;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.sqlite3');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="willow-\d{8}T\d{6}Z\.db"$/);
    expect(Number(res.headers.get('content-length'))).toBe(copy.length);
    expect(copy.subarray(0, 16).toString('latin1')).toBe(SQLITE_MAGIC);
    // The temporary copy is removed once sent (just after the last byte left).
    await waitUntil(async () => readdirSync(live).every((name) => !name.includes('backup')), 2_000);
    // Killed, so its write-ahead log (with the enqueues after the copy) stays behind: the README's restore removes it.
    await a.kill9();
    expect(readdirSync(live)).toContain('willow.db-wal');
    const file = join(newDir(), 'willow-backup.db');
    writeFileSync(file, copy);
    const restore = spawnSync('bash', ['-c', readmeRestore().replace(/willow-backup\.db/g, file).replace(/data\//g, `${live}/`)], { encoding: 'utf8' });
    expect([restore.status, restore.stderr]).toEqual([0, '']);
    const b = await startServer({ WILLOW_DATA_DIR: live });
    servers.push(b);
    for (const id of [...ids, ...before]) {
      const item = await call(b.url, 'GET', `/v1/queues/builds/items/${id}`);
      expect([id, item.status]).toEqual([id, 200]);
    }
    const queue = await call(b.url, 'GET', '/v1/queues/builds');
    expect(queue.body.Waiting).toBeGreaterThanOrEqual(ids.length + before.length);
    expect(queue.body.Waiting).toBeLessThanOrEqual(ids.length + acked.length);
    expect((await call(b.url, 'GET', '/v1/limiter/rules/per_branch')).body).toMatchObject({ Name: 'per_branch', Limit: 1 });
    expect((await call(b.url, 'POST', '/v1/locks/query', { Where: { deploy: 'prod' } })).body).toEqual([
      expect.objectContaining({ LockID: lock.body.LockID, FencingToken: lock.body.FencingToken }),
    ]);
    // The restored store is a working one: it hands out and takes new work.
    const got = await call(b.url, 'POST', '/v1/queues/builds/items/dequeue', { Wait: 0 });
    expect(got.status).toBe(200);
    expect((await call(b.url, 'POST', `/v1/queues/builds/items/${got.body.ID}/ack`, { Passed: true })).status).toBe(200);
    expect((await call(b.url, 'POST', '/v1/queues/builds/items', { KeyValues: { branch: 'after' }, Data: 1 })).status).toBe(201);
    // The README's download command, as pasted: a whole copy under the final name, nothing partial left.
    const dest = newDir();
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const curl = /\n {2}(curl -sf --remove-on-error localhost:8080\/v1\/backup[^\n]*)\n/.exec(readme);
    expect(curl).not.toBeNull();
    const fetched = spawnSync('bash', ['-c', curl![1].replace('localhost:8080', new URL(b.url).host)], { cwd: dest, encoding: 'utf8' });
    expect([fetched.status, fetched.stderr]).toEqual([0, '']);
    expect(readdirSync(dest)).toEqual(['willow-backup.db']);
    expect(readFileSync(join(dest, 'willow-backup.db')).subarray(0, 16).toString('latin1')).toBe(SQLITE_MAGIC);
    await b.stop();
  }, 60_000);

  it('removes the copy when the client goes away mid-download, and takes the next backup', async () => {
    const dir = newDir();
    const s = await startServer({ WILLOW_DATA_DIR: dir });
    servers.push(s);
    expect((await call(s.url, 'POST', '/v1/queues', { Name: 'big' })).status).toBe(201);
    for (let batch = 0; batch < 8; batch++) {
      const items = Array.from({ length: 50 }, (_, n) => ({ KeyValues: { n: batch * 50 + n }, Data: 'y'.repeat(16_000), Updateable: false }));
      expect((await call(s.url, 'POST', '/v1/queues/big/items/batch', { Items: items })).status).toBe(200);
    }
    // Reads one chunk of a copy of several MB (more than the sockets buffer), then hangs up.
    await new Promise<void>((resolve, reject) => {
      const req = get(`${s.url}/v1/backup`, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    });
    await waitUntil(async () => readdirSync(dir).every((name) => !name.includes('backup')), 5_000);
    const next = await fetch(`${s.url}/v1/backup`);
    expect(next.status).toBe(200);
    expect(Buffer.from(await next.arrayBuffer()).length).toBeGreaterThan(6_000_000);
    await s.stop();
  }, 60_000);
});

describe.each(storeCases())('GET /v1/backup ($name store)', (store) => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await store.start();
  });
  afterAll(() => sut.close());

  it(store.name === 'embedded' ? 'sends the database file' : 'answers 409 BACKUP_UNSUPPORTED, naming pg_dump', async () => {
    const res = await sut
      .http()
      .get('/v1/backup')
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (chunk: Buffer) => chunks.push(chunk));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    const head = await sut.http().head('/v1/backup');
    if (store.name === 'embedded') {
      expect(res.status).toBe(200);
      expect((res.body as Buffer).subarray(0, 16).toString('latin1')).toBe(SQLITE_MAGIC);
      expect([head.status, head.headers['content-type']]).toEqual([200, 'application/vnd.sqlite3']);
    } else {
      expect(head.status).toBe(409);
      expect(res.status).toBe(409);
      const body = JSON.parse((res.body as Buffer).toString('utf8'));
      expect(body).toEqual({ Code: 'BACKUP_UNSUPPORTED', Message: expect.stringContaining('pg_dump') });
    }
  });
});
