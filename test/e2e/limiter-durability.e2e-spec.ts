import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startServer, type ChildServer } from '../support/child-server';

// Two server starts (each allowed 20 s by startServer) do not fit jest's default 5 s on a busy machine.
jest.setTimeout(30_000);

/** A real server process (dist/main.js), killed with SIGKILL, then restarted on the same data directory. */
describe('Limiter durability across kill -9', () => {
  let dir: string;
  let server: ChildServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'willow-limiter-'));
  });
  afterEach(async () => {
    await server?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged rule, override and counter, and enforces them after restart', async () => {
    server = await startServer({ WILLOW_DATA_DIR: dir });
    const post = (path: string, body: unknown) => call(server!.url, 'POST', path, body);
    const answers = [
      await post('/v1/limiter/rules', { Name: 'limit_cicd_branch_builds', GroupBy: ['repo_name', 'branch_name'], Limit: 1 }),
      await post('/v1/limiter/rules/limit_cicd_branch_builds/overrides', {
        Name: 'willow_main',
        KeyValues: { repo_name: 'willow', branch_name: 'main' },
        Limit: 3,
      }),
      await post('/v1/limiter/rules', { Name: 'gone', GroupBy: ['os'], Limit: 0 }),
      await call(server.url, 'DELETE', '/v1/limiter/rules/gone'),
      await post('/v1/limiter/counters', { KeyValues: { repo_name: 'willow', branch_name: 'main' }, Counters: 3 }),
      await post('/v1/limiter/counters', { KeyValues: { repo_name: 'willow', branch_name: 'feature', os: 'mac' } }),
      await call(server.url, 'PUT', '/v1/limiter/counters/set', { KeyValues: { _reconciled: 'builds' }, Counters: 2 }),
    ];
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 204, 200, 200, 200]);
    const rules = await call(server.url, 'GET', '/v1/limiter/rules');
    const counters = await call(server.url, 'GET', '/v1/limiter/counters');
    await server.kill9();

    server = await startServer({ WILLOW_DATA_DIR: dir });
    expect(await call(server.url, 'GET', '/v1/limiter/rules')).toEqual(rules);
    expect(rules.body).toEqual([
      {
        Name: 'limit_cicd_branch_builds',
        GroupBy: ['repo_name', 'branch_name'],
        Limit: 1,
        Overrides: [{ Name: 'willow_main', KeyValues: { repo_name: 'willow', branch_name: 'main' }, Limit: 3 }],
      },
    ]);
    expect(await call(server.url, 'GET', '/v1/limiter/counters')).toEqual(counters);
    expect(counters.body).toHaveLength(3);

    const main = await post('/v1/limiter/counters', { KeyValues: { repo_name: 'willow', branch_name: 'main' } });
    expect(main.body).toMatchObject({ Code: 'LIMIT_REACHED', Rule: 'limit_cicd_branch_builds', Override: 'willow_main', Count: 3 });
    const feature = await post('/v1/limiter/counters', { KeyValues: { repo_name: 'willow', branch_name: 'feature' } });
    expect(feature.body).toMatchObject({ Code: 'LIMIT_REACHED', Rule: 'limit_cicd_branch_builds', Limit: 1, Count: 1 });
    expect((await post('/v1/limiter/counters', { KeyValues: { os: 'mac' } })).status).toBe(200);
  });
});
