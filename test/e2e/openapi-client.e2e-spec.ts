import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { startServer, type ChildServer } from '../support/child-server';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
// Its CLI, in a child process: the package's dependencies are ES modules, which jest's module system cannot load.
const OPENAPI_TS = join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
const PROGRAM = join(__dirname, 'openapi-client', 'ci-story.client.mts');

/**
 * A client generated from the committed document (openapi-typescript) and used through openapi-fetch compiles under
 * `tsc --strict` and runs the CI story against the built server: the document is complete enough to build on.
 */
describe('Client generated from openapi/openapi.json', () => {
  let dir: string;
  let server: ChildServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'willow-client-'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await run(process.execPath, [OPENAPI_TS, join(ROOT, 'openapi', 'openapi.json'), '--output', join(dir, 'schema.d.ts')]);
    copyFileSync(PROGRAM, join(dir, 'ci-story.client.mts'));
    server = await startServer({ WILLOW_DATA_DIR: ':memory:' });
  }, 60_000);
  afterAll(async () => {
    await server?.kill9();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles with tsc --strict and runs the CI story through the typed client', async () => {
    const compile = await run(
      process.execPath,
      [TSC, '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'ci-story.client.mts'],
      { cwd: dir },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
    expect(compile.stdout).toBe('');

    const source = readFileSync(join(dir, 'ci-story.client.mts'), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(join(dir, 'ci-story.client.mjs'), js);
    const { stdout } = await run(process.execPath, ['ci-story.client.mjs'], { cwd: dir, env: { ...process.env, WILLOW_URL: server.url } });
    const report = JSON.parse(stdout);

    const [first, second, other] = report.enqueued as Array<[number, string, boolean]>;
    expect(report).toMatchObject({
      created: [201, 'ci'],
      duplicate: [409, 'ALREADY_EXISTS'],
      rule: [201, ['repo_name', 'branch_name']],
      main: { ID: first![1], KeyValues: { repo_name: 'willow', branch_name: 'main', os: 'linux' }, Data: { commit: 'a2' }, Attempt: 1 },
      dev: { ID: other![1], Data: 'c1' },
      none: 204,
      acked: [200, 200],
      stale: [404, 'ITEM_NOT_FOUND'],
      devAcked: 200,
      after: [0, 0],
    });
    expect([first, second, other].map(([status, , collapsed]) => [status, collapsed])).toEqual([[201, false], [200, true], [201, false]]);
    expect(second![1]).toBe(first![1]);
    expect(report.pages).toEqual([
      [200, ['dev'], true],
      [200, ['main'], null],
    ]);
  }, 90_000);
});
