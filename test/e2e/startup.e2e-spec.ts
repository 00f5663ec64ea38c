import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '../conformance/support/temp-dir';
import { freePort, startServer, type ChildServer } from '../support/child-server';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** Runs dist/main.js until it exits by itself (it must, within 20 s), answering its exit code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after 20 s: ${output}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Waits (up to 5 s) until the server has written `text`, then asserts it did. */
async function waitForOutput(server: ChildServer, text: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!server.output().includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(server.output()).toContain(text);
}

function expectOneLine(output: string, pattern: RegExp): void {
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(output).not.toMatch(/^\s+at /m);
}

// Each case starts one or two server processes: seconds on a loaded 2-core host.
jest.setTimeout(30_000);

describe('Start-up', () => {
  let dir: TempDir;
  const running: ChildServer[] = [];
  beforeEach(() => {
    dir = makeTempDir('willow-startup');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.kill9()));
    dir.remove();
  });

  it('refuses a second process on the same data directory with one line naming the holder', async () => {
    const first = await startServer({ WILLOW_DATA_DIR: dir.path });
    running.push(first);
    const second = await runToExit({ PORT: String(await freePort()), WILLOW_DATA_DIR: dir.path });
    expect(second.code).toBe(1);
    expectOneLine(second.output, new RegExp(`in use by another Willow process \\(pid ${first.process.pid} `));
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
  });

  it('starts on the data directory of a process that was killed with kill -9', async () => {
    const first = await startServer({ WILLOW_DATA_DIR: dir.path });
    await first.kill9();
    const next = await startServer({ WILLOW_DATA_DIR: dir.path });
    running.push(next);
    expect((await fetch(`${next.url}/health/ready`)).status).toBe(200);
  });

  it.each([
    ['a path through a file', (d: string) => { writeFileSync(join(d, 'file'), 'x'); return join(d, 'file', 'data'); }, /^Invalid data directory: WILLOW_DATA_DIR=.* cannot be used \(ENOTDIR/],
    ['a database file that is not SQLite', (d: string) => { writeFileSync(join(d, 'willow.db'), 'not a database, not at all'.repeat(100)); return d; }, /^Invalid data directory: .*willow\.db cannot be opened \(.*not a database/],
  ])('refuses %s as data directory with one line and exit 1', async (_name, makeDir, pattern) => {
    const result = await runToExit({ PORT: String(await freePort()), WILLOW_DATA_DIR: makeDir(dir.path) });
    expect(result.code).toBe(1);
    expectOneLine(result.output, pattern);
  });

  it('refuses a port in use with one line and exit 1', async () => {
    const port = await freePort();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runToExit({ PORT: String(port), WILLOW_DATA_DIR: dir.path, WILLOW_LOG_LEVEL: 'info' });
      expect(result.code).toBe(1);
      expectOneLine(result.output, new RegExp(`^Cannot listen on PORT=${port} \\(HOST=127.0.0.1\\): the address is already in use`));
    } finally {
      taken.close();
    }
  });

  it('says where it listens, and logs a refused body with its request id', async () => {
    const server = await startServer({ WILLOW_DATA_DIR: dir.path, WILLOW_LOG_LEVEL: 'info' });
    running.push(server);
    // The line is written just after the port opens, so readiness may be seen a moment before it.
    const listening = `"msg":"Willow listening on ${server.url} (embedded store in ${dir.path}; API docs at /docs)"`;
    await waitForOutput(server, listening);
    const res = await fetch(`${server.url}/v1/locks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'bad-json-7' }, body: '{"KeyValues": {' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('bad-json-7');
    await waitForOutput(server, '"requestId":"bad-json-7"');
    const line = server.output().split('\n').find((l) => l.includes('"requestId":"bad-json-7"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ requestId: 'bad-json-7', res: { statusCode: 400 } });
  });
});
