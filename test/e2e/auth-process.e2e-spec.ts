import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '../conformance/support/temp-dir';
import { startServer, type ChildServer } from '../support/child-server';

jest.setTimeout(60_000);

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
const ADMIN_KEY = 'process-admin-key-0123456789-abcdefghij';

function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function api(server: ChildServer, method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function waitForOutput(server: ChildServer, text: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!server.output().includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(server.output()).toContain(text);
}

describe('access control in the built server', () => {
  let dir: TempDir;
  const running: ChildServer[] = [];
  beforeEach(() => {
    dir = makeTempDir('willow-auth-process');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.kill9()));
    dir.remove();
  });

  it('refuses a WILLOW_ADMIN_KEY under 32 characters with one line and a non-zero exit, never printing the key', async () => {
    const { code, output } = await runToExit({ WILLOW_DATA_DIR: ':memory:', WILLOW_ADMIN_KEY: 'too-short-key-value' });
    expect(code).not.toBe(0);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid configuration: WILLOW_ADMIN_KEY must be at least 32 characters/)]);
    expect(output).not.toContain('too-short-key-value');
  });

  it('keeps keys across a restart, stores none of them, logs their names only, and leaves health and docs open', async () => {
    const env = { WILLOW_DATA_DIR: dir.path, WILLOW_ADMIN_KEY: ADMIN_KEY, WILLOW_LOG_LEVEL: 'info' };
    const first = await startServer(env);
    running.push(first);
    await waitForOutput(first, 'every request needs an API key');
    const kept = await api(first, 'POST', '/v1/auth/keys', ADMIN_KEY, { Name: 'kept', Scopes: ['queues:read'] });
    const gone = await api(first, 'POST', '/v1/auth/keys', ADMIN_KEY, { Name: 'gone', Scopes: ['queues:read'] });
    expect([kept.status, gone.status]).toEqual([201, 201]);
    expect((await api(first, 'GET', '/v1/queues', kept.body.Key)).status).toBe(200);
    expect((await api(first, 'DELETE', '/v1/auth/keys/gone', ADMIN_KEY)).status).toBe(204);
    await waitForOutput(first, '"keyName":"kept"');
    const logged = first.output().split('\n').filter((l) => l.includes('"keyName":"kept"'));
    expect(JSON.parse(logged[0]!)).toMatchObject({ keyName: 'kept', req: { headers: { authorization: '[redacted]' } }, res: { statusCode: 200 } });
    for (const secret of [kept.body.Key, gone.body.Key, ADMIN_KEY]) expect(first.output()).not.toContain(secret);
    await first.stop();

    const files = Buffer.concat(readdirSync(dir.path).map((f) => readFileSync(join(dir.path, f))));
    for (const secret of [kept.body.Key, gone.body.Key, ADMIN_KEY]) expect(files.includes(secret)).toBe(false);

    const second = await startServer(env);
    running.push(second);
    expect((await api(second, 'GET', '/v1/queues', kept.body.Key)).status).toBe(200);
    expect((await api(second, 'GET', '/v1/queues', gone.body.Key)).status).toBe(401);
    expect((await api(second, 'GET', '/v1/queues', null)).status).toBe(401);
    expect((await api(second, 'GET', '/health/ready', null)).status).toBe(200);
    expect((await fetch(`${second.url}/docs-json`)).status).toBe(200);
    expect((await fetch(`${second.url}/docs`)).status).toBe(200);
  });

  it('says at start-up that protected mode answers only this machine, and warns when WILLOW_AUTH=off', async () => {
    const protectedServer = await startServer({ WILLOW_DATA_DIR: ':memory:', WILLOW_LOG_LEVEL: 'info' });
    running.push(protectedServer);
    await waitForOutput(protectedServer, 'protected mode: no WILLOW_ADMIN_KEY is set, so only clients on this machine are answered');
    const open = await startServer({ WILLOW_DATA_DIR: ':memory:', WILLOW_LOG_LEVEL: 'info', WILLOW_AUTH: 'off' });
    running.push(open);
    await waitForOutput(open, 'WILLOW_AUTH=off: every client is answered without a key');
    const warning = open.output().split('\n').find((l) => l.includes('WILLOW_AUTH=off'));
    expect(JSON.parse(warning!).level).toBe(40);
  });
});
