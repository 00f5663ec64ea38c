import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The published shape of @willow/client: loads from CommonJS and ESM, and its .d.ts type-check both kinds of user. */
describe('@willow/client package', () => {
  it('loads from CommonJS and from an ES module import (one copy of each class)', async () => {
    const node = async (args: string[]) => (await run(process.execPath, args, { cwd: ROOT })).stdout.trim();
    const cjs = await node(['-e', "const c = require('@willow/client'); const w = new c.Willow({ baseUrl: 'http://x' }); console.log(typeof w.api.GET, typeof w.worker, typeof c.WillowError)"]);
    const esm = await node([
      '--input-type=module',
      '-e',
      "import { Willow, WillowError } from '@willow/client'; import all from '@willow/client'; const w = new Willow({ baseUrl: 'http://x' }); console.log(typeof w.api.GET, typeof w.withLock, new WillowError(409, 'X', 'm') instanceof all.WillowError)",
    ]);
    expect(cjs).toBe('function function function');
    expect(esm).toBe('function function true');
  }, 30_000);

  it('ships declarations that type-check an ES module and a CommonJS user under tsc --strict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'willow-client-types-'));
    try {
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      writeFileSync(
        join(dir, 'user.mts'),
        [
          "import { Willow, WillowError, type Delivery } from '@willow/client';",
          "const willow = new Willow({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'k' });",
          "const worker = willow.worker('ci', async (item: Delivery, { signal }) => { if (signal.aborted) throw new WillowError(0, 'X', 'm'); return item.Attempt; }, { concurrency: 2 });",
          'void worker.stop();',
          "const typed = willow.worker<{ commit: string }>('ci', (item) => item.Data.commit.toUpperCase());",
          'void typed.run;',
          "const answer = await willow.api.GET('/v1/queues/{Name}', { params: { path: { Name: 'ci' } } });",
          'export const waiting: number | undefined = answer.data?.Waiting;',
        ].join('\n'),
      );
      writeFileSync(
        join(dir, 'user.cts'),
        [
          "import { Willow, call } from '@willow/client';",
          "const willow = new Willow({ baseUrl: 'http://127.0.0.1:8080' });",
          "export const tokens = call(willow.api.GET('/v1/locks')).then((locks) => locks.map((l) => l.FencingToken + 1));",
          "export const held = willow.withLock({ repo: 'x' }, ({ fencingToken }) => fencingToken * 2, { wait: 0 });",
        ].join('\n'),
      );
      const args = [TSC, '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'user.mts', 'user.cts'];
      const result = await run(process.execPath, args, { cwd: dir }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
