import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '../conformance/support/temp-dir';
import { createTestApp, type TestApp } from '../support/test-app';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The fenced blocks of `lang` in the README section headed `## <title>`, in order. */
function blocks(title: string, lang: string): string[] {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/**
 * Runs `script` in bash as a newcomer would paste it, except that any failed command stops it: every curl fails on
 * an HTTP error status (or after 5 s, so a dequeue that would wait its 30 s for nothing fails too).
 */
function bash(script: string, cwd: string): Promise<{ code: number | null; output: string }> {
  const prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body --max-time 5 "$@"; echo; }\n';
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', prelude + script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('README examples', () => {
  let sut: TestApp;
  let dir: TempDir;
  beforeAll(async () => {
    sut = await createTestApp();
    dir = makeTempDir('willow-readme');
  });
  afterAll(async () => {
    await sut.close();
    dir.remove();
  });

  it('run in order on a fresh server, every request answered with success', async () => {
    const examples = blocks('The API in brief', 'sh');
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const script = examples.join('\n').replaceAll('localhost:8080', sut.url.replace('http://', ''));
    const { code, output } = await bash(script, dir.path);
    if (code !== 0) throw new Error(`README examples failed (exit ${code}):\n${output}`);
    // The dequeue got the collapsed item (the newest commit), not a 204 after waiting.
    expect(output).toMatch(/"Collapsed":true/);
    expect(output).toMatch(/"Data":\{"commit":"def"\},"Attempt":1/);
    expect(output).toMatch(/"FencingToken":\d+/);
    expect((await sut.http().get('/v1/queues/builds')).body).toMatchObject({ Waiting: 0, Processing: 0 });
    expect((await sut.http().get('/v1/locks')).body).toEqual([]);
  });

  it('shows queries the server accepts', async () => {
    for (const query of blocks('The API in brief', 'json')) {
      const res = await sut.http().post('/v1/locks/query').set('content-type', 'application/json').send(query);
      expect(res.status).toBe(200);
    }
  });
});
