import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_DIR, startFixture, type ClientFixture } from './support';

const BIN = join(CLIENT_DIR, 'bin', 'willow.cjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The willow CLI as a real process on the built package, against a real server. */
describe('willow CLI', () => {
  let fx: ClientFixture;
  const willow = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env: { ...process.env, WILLOW_URL: fx.server.url, ...env } }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
    });
  const json = async (args: string[]) => {
    const r = await willow([...args, '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    fx = await startFixture();
  }, 60_000);
  afterAll(() => fx?.dispose());

  it('runs the CI story: queues, rules, enqueue, dequeue, items, cancel, dead letters, locks', async () => {
    expect(await json(['queues', 'create', 'ci'])).toMatchObject({ Name: 'ci', Paused: false });
    expect(await json(['rules', 'create', 'per_branch', '--group-by', 'repo_name,branch_name', '--limit', '1'])).toMatchObject({ GroupBy: ['repo_name', 'branch_name'], Limit: 1 });
    const tags = ['-t', 'repo_name=willow', '-t', 'branch_name=main', '-t', 'os=linux'];
    const first = await json(['enqueue', 'ci', ...tags, '--data', '{"commit":"a1"}', '--timeout', '30s']);
    const second = await json(['enqueue', 'ci', ...tags, '--data', '{"commit":"a2"}']);
    expect(second).toEqual({ ID: first.ID, Collapsed: true });
    const other = await json(['enqueue', 'ci', '-t', 'repo_name=willow', '-t', 'branch_name=dev', '-t', 'os=mac', '--data', '"c1"', '--no-updateable']);

    expect(await json(['queues', 'ls'])).toEqual([expect.objectContaining({ Name: 'ci', Waiting: 2 })]);
    expect(await json(['items', 'get', 'ci', first.ID])).toMatchObject({ State: 'waiting', Data: { commit: 'a2' }, Position: 0 });
    expect((await json(['items', 'ls', 'ci', '--where', 'os=linux'])).map((i: { ID: string }) => i.ID)).toEqual([first.ID]);

    expect(await json(['explain', '-t', 'repo_name=willow', '-t', 'branch_name=main'])).toMatchObject({ Allowed: true, Limits: [expect.objectContaining({ Rule: 'per_branch', Count: 0 })] });
    const item = await json(['dequeue', 'ci', '-w', 'os=linux']);
    expect(item).toMatchObject({ ID: first.ID, Attempt: 1, Data: { commit: 'a2' } });
    expect(await json(['items', 'ls', 'ci', '--state', 'processing'])).toEqual([expect.objectContaining({ ID: first.ID, State: 'processing' })]);
    expect(await json(['dequeue', 'ci', '-w', 'os=linux'])).toBeNull();
    expect(await json(['items', 'cancel', 'ci', first.ID])).toEqual({ ID: first.ID, Cancelled: true });

    expect(await json(['queues', 'pause', 'ci'])).toMatchObject({ Paused: true });
    expect(await json(['dequeue', 'ci'])).toBeNull();
    expect(await json(['queues', 'resume', 'ci'])).toMatchObject({ Paused: false });
    expect(await json(['dead-letters', 'ls', 'ci'])).toEqual([]);
    expect(await json(['rules', 'ls'])).toEqual([expect.objectContaining({ Name: 'per_branch' })]);
    expect(await json(['locks', 'ls'])).toEqual([]);

    const people = await willow(['queues', 'ls']);
    expect(people.code).toBe(0);
    expect(people.stdout.split('\n')[0]).toMatch(/^Name\s+Paused\s+Waiting\s+Processing\s+Channels\s+MaxItems$/);
    expect(people.stdout).toMatch(/^ci\s+false\s+1\s+0\s+1\s+-1$/m);
    expect(other.Collapsed).toBe(false);
  }, 60_000);

  it('enqueues with a priority, a delay and a retry backoff, and shows the item scheduled', async () => {
    await json(['queues', 'create', 'later']);
    const late = await json(['enqueue', 'later', '-t', 'k=v', '--delay', '1h', '--priority', '7', '--retry-delay', '30s', '--retry-backoff', 'exponential', '--no-updateable']);
    const at = await json(['enqueue', 'later', '-t', 'k=w', '--not-before', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(await json(['items', 'get', 'later', late.ID])).toMatchObject({ State: 'scheduled', Priority: 7, NotBefore: expect.any(String) });
    expect(await json(['items', 'get', 'later', at.ID])).toMatchObject({ State: 'scheduled', Priority: 0 });
    expect(await json(['items', 'ls', 'later', '--state', 'scheduled'])).toHaveLength(2);
    expect((await willow(['enqueue', 'later', '-t', 'k=v', '--retry-backoff', 'linear'])).code).toBe(2);
    const refused = await willow(['enqueue', 'later', '-t', 'k=v', '--priority', '101']);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/Priority/)]);
  }, 60_000);

  it('requeues a dead letter', async () => {
    await json(['queues', 'create', 'dl']);
    const { ID } = await json(['enqueue', 'dl', '-t', 'k=v', '--field', 'Timeout="100ms"', '--field', 'RetryAttempts=0']);
    expect(await json(['dequeue', 'dl'])).toMatchObject({ ID });
    const deadline = Date.now() + 20_000;
    let dead: Array<{ ID: string; LastError: string }> = [];
    while (dead.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      dead = await json(['dead-letters', 'ls', 'dl']);
    }
    expect(dead).toEqual([expect.objectContaining({ ID, LastError: 'lease expired' })]);
    expect(await json(['dead-letters', 'requeue', 'dl', ID])).toEqual({ ID });
    expect(await json(['items', 'get', 'dl', ID])).toMatchObject({ State: 'waiting' });
  }, 40_000);

  it('saves a backup of the running store, whole, and leaves no file when the download cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'willow-cli-backup-'));
    try {
      expect(await json(['queues', 'create', 'kept'])).toMatchObject({ Name: 'kept' });
      const file = join(dir, 'willow-backup.db');
      const saved = await json(['backup', file]);
      const bytes = readFileSync(file);
      expect(saved).toEqual({ File: file, Bytes: bytes.length });
      expect(bytes.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
      const people = await willow(['backup', join(dir, 'again.db')]);
      expect(people.code).toBe(0);
      expect(people.stdout).toMatch(/^File +Bytes\n.*again\.db +\d+\n$/);
      const nowhere = await willow(['backup', join(dir, 'missing', 'x.db')]);
      expect(nowhere.code).toBe(1);
      expect(nowhere.stderr).toMatch(/ENOENT/);
      expect(readdirSync(dir).sort()).toEqual(['again.db', 'willow-backup.db']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('exits 1 with the server message on stderr when the request fails', async () => {
    const missing = await willow(['items', 'get', 'nope', 'it_1']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/\(QUEUE_NOT_FOUND, HTTP 404\)/);
    const unknownField = await willow(['enqueue', 'ci', '-t', 'k=v', '--field', 'Bogus=1']);
    expect(unknownField.code).toBe(1);
    expect(unknownField.stderr).toMatch(/INVALID_INPUT, HTTP 400/);
    const duplicate = await willow(['queues', 'create', 'ci', '--json']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/ALREADY_EXISTS, HTTP 409/);
    const offline = await willow(['queues', 'ls', '--url', 'http://127.0.0.1:1']);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/UNREACHABLE/);
  }, 30_000);

  it('exits 2 on a wrong command line, 0 on --help for every command', async () => {
    for (const args of [[], ['queues', 'bogus'], ['enqueue', 'ci'], ['enqueue', 'ci', '-t', 'novalue'], ['enqueue', 'ci', '-t', 'a=b', '--data', '{not json'], ['rules', 'create', 'r', '--group-by', 'a', '--limit', 'x'], ['items', 'get', 'ci'], ['queues', 'ls', '--bogus']]) {
      const r = await willow(args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    const commands = [[], ['queues'], ['queues', 'ls'], ['queues', 'create'], ['queues', 'pause'], ['queues', 'resume'], ['enqueue'], ['dequeue'], ['items'], ['items', 'get'], ['items', 'ls'], ['items', 'cancel'], ['dead-letters'], ['dead-letters', 'ls'], ['dead-letters', 'requeue'], ['rules'], ['rules', 'ls'], ['rules', 'create'], ['explain'], ['locks'], ['locks', 'ls'], ['backup']];
    const version = await willow(['--version']);
    expect({ code: version.code, stdout: version.stdout }).toEqual({ code: 0, stdout: '0.1.0\n' });
    const helps = await Promise.all(commands.map((c) => willow([...c, '--help'])));
    helps.forEach((r, i) => expect({ command: commands[i], code: r.code, usage: r.stdout.startsWith('Usage: willow') }).toEqual({ command: commands[i], code: 0, usage: true }));
  }, 60_000);

});
