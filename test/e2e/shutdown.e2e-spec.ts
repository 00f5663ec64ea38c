import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startServer, type ChildServer } from '../support/child-server';
import { waitUntil } from '../support/wait';

/**
 * SIGTERM on a real server process (`dist/main.js`): long-polls end with 503 SHUTTING_DOWN, the process exits within
 * the 10 s deadline of DESIGN §9, and what it acknowledged is back after a restart on the same data directory.
 */
describe('Graceful shutdown on SIGTERM', () => {
  let dir: string;
  let server: ChildServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'willow-shutdown-'));
  });
  afterEach(async () => {
    if (server && server.process.exitCode === null && server.process.signalCode === null) await server.kill9();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a waiting acquire 503 SHUTTING_DOWN, exits within 10 s and keeps the held lock', async () => {
    server = await startServer({ WILLOW_DATA_DIR: dir });
    const held = await call(server.url, 'POST', '/v1/locks', { KeyValues: { job: 'deploy' }, Timeout: '1h' });
    expect(held.status).toBe(201);
    const waiting = call(server.url, 'POST', '/v1/locks', { KeyValues: { job: 'deploy' }, Wait: '60s' });
    await waitUntil(async () => (await call(server!.url, 'GET', '/v1/locks')).body[0]?.Waiters === 1);

    const exited = exitOf(server);
    server.process.kill('SIGTERM');

    const answer = await waiting;
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ Message: expect.any(String), Code: 'SHUTTING_DOWN' });
    const { code, signal } = await withDeadline(exited, 10_000, () => `server still running 10 s after SIGTERM:\n${server!.output()}`);
    expect(code === 0 || signal === 'SIGTERM').toBe(true);

    server = await startServer({ WILLOW_DATA_DIR: dir });
    const listed = await call(server.url, 'GET', '/v1/locks');
    expect(listed.body).toEqual([
      expect.objectContaining({ LockID: held.body.LockID, FencingToken: held.body.FencingToken, Waiters: 0 }),
    ]);
    const heartbeat = await call(server.url, 'POST', `/v1/locks/${held.body.LockID}/heartbeat`, { SessionID: held.body.SessionID });
    expect(heartbeat.status).toBe(200);
  }, 60_000);

  it('exits within 10 s on SIGTERM when idle', async () => {
    server = await startServer({ WILLOW_DATA_DIR: dir });
    const exited = exitOf(server);
    server.process.kill('SIGTERM');
    const { code, signal } = await withDeadline(exited, 10_000, () => `server still running 10 s after SIGTERM:\n${server!.output()}`);
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
  }, 40_000);
});

function exitOf(server: ChildServer): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => server.process.once('exit', (code, signal) => resolve({ code, signal })));
}

async function withDeadline<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(describe())), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
