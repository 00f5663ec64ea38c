import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startServer, type ChildServer } from '../support/child-server';

// Two server starts (each allowed 20 s by startServer) do not fit jest's default 5 s on a busy machine.
jest.setTimeout(30_000);

/** A real server process, killed with SIGKILL while it holds locks, then restarted on the same data directory. */
describe('Locker durability across kill -9', () => {
  let dir: string;
  let server: ChildServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'willow-locker-'));
  });
  afterEach(async () => {
    await server?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps held locks until their lease runs out and raises the fencing token of the next grant', async () => {
    server = await startServer({ WILLOW_DATA_DIR: dir });
    const long = await call(server.url, 'POST', '/v1/locks', { KeyValues: { job: 'long' }, Timeout: '1h' });
    const short = await call(server.url, 'POST', '/v1/locks', { KeyValues: { job: 'short' }, Timeout: '300ms' });
    expect([long.status, short.status]).toEqual([201, 201]);
    await server.kill9();

    await new Promise((r) => setTimeout(r, 400));
    server = await startServer({ WILLOW_DATA_DIR: dir });
    const held = await call(server.url, 'POST', '/v1/locks', { KeyValues: { job: 'long' }, Wait: 0 });
    expect(held.status).toBe(409);
    const listed = await call(server.url, 'GET', '/v1/locks');
    expect(listed.body).toEqual([expect.objectContaining({ LockID: long.body.LockID, FencingToken: long.body.FencingToken })]);

    // The short lease ran out while the server was down: it was expired on start and can be granted again.
    const regrant = await call(server.url, 'POST', '/v1/locks', { KeyValues: { job: 'short' }, Wait: 0 });
    expect(regrant.status).toBe(201);
    expect(regrant.body.FencingToken).toBeGreaterThan(Math.max(long.body.FencingToken, short.body.FencingToken));
    const stale = await call(server.url, 'POST', `/v1/locks/${short.body.LockID}/heartbeat`, { SessionID: short.body.SessionID });
    expect(stale.status).toBe(409);

    // The surviving holder can still heartbeat and release with its session.
    const hb = await call(server.url, 'POST', `/v1/locks/${long.body.LockID}/heartbeat`, { SessionID: long.body.SessionID });
    expect(hb.status).toBe(200);
  }, 30_000); // two process starts and a kill: seconds on a loaded machine
});
