import { LimiterApi } from '../support/limiter-api';
import { createTestApp, type TestApp } from '../support/test-app';

/** DESIGN §6.7: check-and-increment is atomic; a limit is never exceeded under any concurrency. */
describe('Limiter under concurrent HTTP increments', () => {
  let app: TestApp;
  let api: LimiterApi;
  beforeAll(async () => {
    app = await createTestApp();
    api = new LimiterApi(app);
  });
  afterAll(() => app.close());

  it('ends 200 concurrent increments over 20 groups with Limit 3 at exactly 3 per group and 140 refusals', async () => {
    await api.rule('per_group', ['group'], 3);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api.increment({ group: `g${i % 20}`, worker: `w${i}` }).then((res) => ({ group: i % 20, res }))),
    );
    expect(answers.filter((a) => a.res.status === 409)).toHaveLength(140);
    expect(answers.filter((a) => a.res.status !== 200 && a.res.status !== 409)).toEqual([]);
    for (let g = 0; g < 20; g++) {
      expect(answers.filter((a) => a.group === g && a.res.status === 200)).toHaveLength(3);
      expect((await api.explain({ group: `g${g}` })).body.Limits[0]).toMatchObject({ Count: 3 });
      expect((await api.queryCounters({ Where: { group: `g${g}` } })).body).toHaveLength(3);
    }
  });

  it('admits another group while a full group is flooded', async () => {
    await api.rule('per_repo', ['repo'], 1);
    await api.increment({ repo: 'busy' });
    const flood = Array.from({ length: 100 }, () => api.increment({ repo: 'busy' }));
    const other = api.increment({ repo: 'quiet' });
    expect((await other).status).toBe(200);
    expect((await Promise.all(flood)).every((r) => r.status === 409)).toBe(true);
  });

  it('keeps counts exact under concurrent increments and decrements of one group', async () => {
    await api.rule('mixed', ['pool'], 5);
    await api.set({ pool: 'p', slot: 'seed' }, 5);
    const ops = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0 ? api.decrement({ pool: 'p', slot: 'seed' }) : api.increment({ pool: 'p', slot: `s${i}` }),
    );
    const answers = await Promise.all(ops);
    const admitted = answers.filter((r, i) => i % 2 === 1 && r.status === 200).length;
    const count = (await api.explain({ pool: 'p' })).body.Limits[0].Count;
    expect(count).toBeLessThanOrEqual(5);
    expect(count).toBe(admitted);
  });
});
