import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call } from '@willow/client';
import { CLIENT_DIR, startFixture, type ClientFixture } from './support';

const run = promisify(execFile);
const EXAMPLES = join(CLIENT_DIR, 'examples');

/** The examples of clients/typescript/examples, run as documented against a real server, so they cannot rot. */
describe('client examples', () => {
  let fx: ClientFixture;
  const example = (file: string, args: string[] = [], env: Record<string, string> = {}) =>
    run(process.execPath, [join(EXAMPLES, file), ...args], { env: { ...process.env, WILLOW_URL: fx.server.url, ...env }, timeout: 60_000 });

  beforeAll(async () => {
    fx = await startFixture();
  }, 60_000);
  afterAll(() => fx?.dispose());

  it('producer collapses pushes per branch; runner builds the linux items, one per branch at a time', async () => {
    const produced = await example('producer.mjs');
    expect(produced.stdout).toContain('push willow/main@a2: 0 new, 3 collapsed into waiting builds');
    expect(produced.stdout).toContain('queue ci: 6 builds waiting in 6 channels');

    const built = await example('runner.mjs', [], { RUNNER_BUILD_MS: '300', RUNNER_EXIT_WHEN_IDLE: '1' });
    const lines = built.stdout.split('\n').filter((l) => /^(start|done) /.test(l));
    expect(lines.filter((l) => l.startsWith('done')).sort()).toEqual([
      'done willow/feature-x linux/arm64 @ f1',
      'done willow/feature-x linux/x64 @ f1',
      'done willow/main linux/arm64 @ a3',
      'done willow/main linux/x64 @ a3',
    ]);
    const running = new Map<string, number>();
    for (const line of lines) {
      const branch = line.split(' ')[1]!;
      running.set(branch, (running.get(branch) ?? 0) + (line.startsWith('start') ? 1 : -1));
      expect(running.get(branch)).toBeLessThanOrEqual(1);
    }
    expect(built.stdout).toContain('runner: stopped');
    const left = await call(fx.willow.api.POST('/v1/queues/{Name}/items/query', { params: { path: { Name: 'ci' } }, body: {} }));
    expect(left.map((i) => i.KeyValues.os)).toEqual(['mac', 'mac']);
  }, 90_000);

  it('deploy holds the lock, hands the fencing token to the target and releases the lock', async () => {
    const first = await example('deploy.mjs', ['v1']);
    const second = await example('deploy.mjs', ['v2']);
    expect(first.stdout).toMatch(/switch traffic \(fencing token (\d+)\)/);
    const token = (out: string) => Number(/switch traffic \(fencing token (\d+)\)/.exec(out)![1]);
    expect(token(second.stdout)).toBeGreaterThan(token(first.stdout));
    expect(second.stdout).toContain('deployed v2; lock released');
    expect(await call(fx.willow.api.GET('/v1/locks'))).toEqual([]);
  }, 60_000);
});
