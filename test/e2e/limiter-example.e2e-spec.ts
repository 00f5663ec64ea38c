import { LimiterApi } from '../support/limiter-api';
import { createTestApp, type TestApp } from '../support/test-app';

/** The original documents' CI example, verbatim (DESIGN §6). */
describe('Limiter: the CI example', () => {
  let app: TestApp;
  let api: LimiterApi;
  beforeAll(async () => {
    app = await createTestApp();
    api = new LimiterApi(app);
    await api.rule('limit_cicd_branch_builds', ['repo_name', 'branch_name'], 1);
    await api.override('limit_cicd_branch_builds', 'willow_main', { repo_name: 'willow', branch_name: 'main' }, 9001);
    await api.rule('limit_ios_concurrent_builds', ['ios_required'], 4);
  });
  afterAll(() => app.close());

  it('refuses a second build of the same feature branch while main takes 100 concurrent builds', async () => {
    const feature = { repo_name: 'willow', branch_name: 'feature/collapse' };
    expect((await api.increment(feature)).status).toBe(200);
    const second = await api.increment(feature);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      Message: expect.stringContaining('limit_cicd_branch_builds'),
      Code: 'LIMIT_REACHED',
      Rule: 'limit_cicd_branch_builds',
      Limit: 1,
      Count: 1,
    });
    const main = await Promise.all(Array.from({ length: 100 }, () => api.increment({ repo_name: 'willow', branch_name: 'main' })));
    expect(main.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect((await api.explain({ repo_name: 'willow', branch_name: 'main' })).body.Limits).toEqual([
      { Rule: 'limit_cicd_branch_builds', Override: 'willow_main', GroupBy: ['repo_name', 'branch_name'], Limit: 9001, Count: 100, Allowed: true },
    ]);
    expect((await api.increment({ repo_name: 'other', branch_name: 'main' })).status).toBe(200);
    expect((await api.increment({ repo_name: 'other', branch_name: 'main' })).status).toBe(409);
  });

  it('refuses a fifth concurrent iOS build across different repos, and a decrement lets the next one in', async () => {
    const ios = (repo: string) => ({ repo_name: repo, branch_name: 'release', ios_required: true });
    for (const repo of ['app1', 'app2', 'app3', 'app4']) expect((await api.increment(ios(repo))).status).toBe(200);
    const fifth = await api.increment(ios('app5'));
    expect(fifth.status).toBe(409);
    expect(fifth.body).toMatchObject({ Code: 'LIMIT_REACHED', Rule: 'limit_ios_concurrent_builds', Limit: 4, Count: 4 });
    expect(fifth.body).not.toHaveProperty('Override');
    expect((await api.decrement(ios('app2'))).body).toEqual({ KeyValues: ios('app2'), Counters: 0 });
    expect((await api.increment(ios('app5'))).status).toBe(200);
    expect((await api.increment(ios('app6'))).status).toBe(409);
  });

  it('lets the next build of a feature branch in after a decrement', async () => {
    const feature = { repo_name: 'willow', branch_name: 'feature/next' };
    expect((await api.increment(feature)).status).toBe(200);
    expect((await api.increment(feature)).status).toBe(409);
    expect((await api.decrement(feature)).status).toBe(200);
    expect((await api.increment(feature)).status).toBe(200);
  });
});
