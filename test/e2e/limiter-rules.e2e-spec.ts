import { LimiterApi } from '../support/limiter-api';
import { createTestApp, type TestApp } from '../support/test-app';

describe('Limiter rules and overrides over HTTP', () => {
  let app: TestApp;
  let api: LimiterApi;
  beforeEach(async () => {
    app = await createTestApp();
    api = new LimiterApi(app);
  });
  afterEach(() => app.close());

  it('creates a rule (201) and shows it with its overrides', async () => {
    const created = await api.createRule({ Name: 'builds', GroupBy: ['repo_name', 'branch_name'], Limit: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ Name: 'builds', GroupBy: ['repo_name', 'branch_name'], Limit: 1, Overrides: [] });
    const override = await api.createOverride('builds', { Name: 'main', KeyValues: { repo_name: 'willow', branch_name: 'main' }, Limit: 9001 });
    expect(override.status).toBe(201);
    expect(override.body).toEqual({ Name: 'main', KeyValues: { repo_name: 'willow', branch_name: 'main' }, Limit: 9001 });
    const got = await api.getRule('builds');
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      Name: 'builds',
      GroupBy: ['repo_name', 'branch_name'],
      Limit: 1,
      Overrides: [{ Name: 'main', KeyValues: { repo_name: 'willow', branch_name: 'main' }, Limit: 9001 }],
    });
    expect((await api.listRules()).body).toEqual([got.body]);
  });

  it('accepts reserved keys in GroupBy and override KeyValues, and names with spaces', async () => {
    expect((await api.createRule({ Name: 'per queue', GroupBy: ['_willow_queue'], Limit: 10 })).status).toBe(201);
    expect((await api.createOverride('per queue', { Name: 'big one', KeyValues: { _willow_queue: 'big' }, Limit: 50 })).status).toBe(201);
    expect((await api.getOverride('per queue', 'big one')).body).toEqual({ Name: 'big one', KeyValues: { _willow_queue: 'big' }, Limit: 50 });
  });

  it('changes only the Limit with PUT (200 Rule); GroupBy is immutable', async () => {
    await api.rule('builds', ['repo'], 1);
    const updated = await api.updateRule('builds', { Limit: 5 });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ Name: 'builds', GroupBy: ['repo'], Limit: 5, Overrides: [] });
    const withGroupBy = await api.updateRule('builds', { Limit: 5, GroupBy: ['os'] });
    expect(withGroupBy.status).toBe(400);
    expect(withGroupBy.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'GroupBy' });
    expect((await api.getRule('builds')).body.GroupBy).toEqual(['repo']);
  });

  it('gets, updates, lists and deletes overrides like rules', async () => {
    await api.rule('builds', ['repo'], 1);
    await api.override('builds', 'b', { repo: 'b' }, 2);
    await api.override('builds', 'a', { repo: 'a', os: 'mac' }, 3);
    expect((await api.listOverrides('builds')).body.map((o: { Name: string }) => o.Name)).toEqual(['a', 'b']);
    const updated = await api.updateOverride('builds', 'a', { Limit: 7 });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ Name: 'a', KeyValues: { repo: 'a', os: 'mac' }, Limit: 7 });
    expect((await api.updateOverride('builds', 'a', { Limit: 7, KeyValues: { repo: 'z' } })).status).toBe(400);
    expect((await api.deleteOverride('builds', 'a')).status).toBe(204);
    expect((await api.getOverride('builds', 'a')).body).toMatchObject({ Code: 'OVERRIDE_NOT_FOUND', Rule: 'builds', Override: 'a' });
    expect((await api.getRule('builds')).body.Overrides).toEqual([{ Name: 'b', KeyValues: { repo: 'b' }, Limit: 2 }]);
  });

  it('deletes a rule with its overrides (204)', async () => {
    await api.rule('builds', ['repo'], 1);
    await api.override('builds', 'b', { repo: 'b' }, 2);
    expect((await api.deleteRule('builds')).status).toBe(204);
    expect((await api.getRule('builds')).status).toBe(404);
    expect((await api.listOverrides('builds')).status).toBe(404);
    await api.rule('builds', ['repo'], 1);
    expect((await api.getRule('builds')).body.Overrides).toEqual([]);
  });

  it('answers 409 ALREADY_EXISTS for a taken name or the same GroupBy set in any order', async () => {
    await api.rule('builds', ['repo', 'branch'], 1);
    const sameName = await api.createRule({ Name: 'builds', GroupBy: ['os'], Limit: 1 });
    expect(sameName.status).toBe(409);
    expect(sameName.body).toMatchObject({ Code: 'ALREADY_EXISTS', Rule: 'builds' });
    const sameSet = await api.createRule({ Name: 'other', GroupBy: ['branch', 'repo'], Limit: 2 });
    expect(sameSet.status).toBe(409);
    expect(sameSet.body).toMatchObject({ Code: 'ALREADY_EXISTS', Rule: 'builds' });
    expect((await api.createRule({ Name: 'other', GroupBy: ['repo'], Limit: 2 })).status).toBe(201);
  });

  it('answers 409 for a taken override name or identical KeyValues under the rule', async () => {
    await api.rule('builds', ['repo'], 1);
    await api.rule('other', ['os'], 1);
    await api.override('builds', 'w', { repo: 'w', os: 'mac' }, 2);
    const sameName = await api.createOverride('builds', { Name: 'w', KeyValues: { repo: 'x' }, Limit: 1 });
    expect(sameName.status).toBe(409);
    expect(sameName.body).toMatchObject({ Code: 'ALREADY_EXISTS', Override: 'w' });
    const sameValues = await api.createOverride('builds', { Name: 'v', KeyValues: { os: 'mac', repo: 'w' }, Limit: 1 });
    expect(sameValues.status).toBe(409);
    expect(sameValues.body).toMatchObject({ Code: 'ALREADY_EXISTS', Override: 'w' });
    expect((await api.createOverride('other', { Name: 'w', KeyValues: { repo: 'w', os: 'mac' }, Limit: 1 })).status).toBe(201);
  });

  it('answers 400 naming the GroupBy keys an override lacks', async () => {
    await api.rule('builds', ['repo_name', 'branch_name'], 1);
    const res = await api.createOverride('builds', { Name: 'o', KeyValues: { repo_name: 'willow' }, Limit: 5 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'KeyValues' });
    expect(res.body.Message).toContain('"branch_name"');
  });

  it('answers 404 RULE_NOT_FOUND and OVERRIDE_NOT_FOUND', async () => {
    await api.rule('builds', ['repo'], 1);
    for (const res of [
      await api.getRule('nope'),
      await api.updateRule('nope', { Limit: 1 }),
      await api.deleteRule('nope'),
      await api.createOverride('nope', { Name: 'o', KeyValues: { repo: 'x' }, Limit: 1 }),
      await api.listOverrides('nope'),
      await api.getOverride('nope', 'o'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ Code: 'RULE_NOT_FOUND', Rule: 'nope' });
    }
    for (const res of [
      await api.getOverride('builds', 'o'),
      await api.updateOverride('builds', 'o', { Limit: 1 }),
      await api.deleteOverride('builds', 'o'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ Code: 'OVERRIDE_NOT_FOUND', Rule: 'builds', Override: 'o' });
    }
  });

  it('lists rules sorted by Name as a bare array, paginated with Willow-Next-Cursor', async () => {
    expect((await api.listRules()).body).toEqual([]);
    for (const [name, key] of [['c', 'k1'], ['a', 'k2'], ['B', 'k3'], ['b', 'k4'], ['\u{1F600}', 'k5']]) await api.rule(name, [key], 1);
    const names: string[] = [];
    let query = '?Limit=2';
    for (let pages = 0; ; pages++) {
      const res = await api.listRules(query);
      expect(res.status).toBe(200);
      names.push(...res.body.map((r: { Name: string }) => r.Name));
      const cursor = res.headers['willow-next-cursor'];
      if (!cursor) break;
      expect(res.body).toHaveLength(2);
      query = `?Limit=2&Cursor=${encodeURIComponent(cursor)}`;
    }
    expect(names).toEqual(['B', 'a', 'b', 'c', '\u{1F600}']);
    expect((await api.listRules('?Limit=5')).headers['willow-next-cursor']).toBeUndefined();
  });

  it('paginates a rule overrides by Name', async () => {
    await api.rule('r', ['k'], 1);
    for (const name of ['o3', 'o1', 'o2']) await api.override('r', name, { k: name }, 1);
    const first = await api.listOverrides('r', '?Limit=2');
    expect(first.body.map((o: { Name: string }) => o.Name)).toEqual(['o1', 'o2']);
    const rest = await api.listOverrides('r', `?Limit=2&Cursor=${first.headers['willow-next-cursor']}`);
    expect(rest.body.map((o: { Name: string }) => o.Name)).toEqual(['o3']);
    expect(rest.headers['willow-next-cursor']).toBeUndefined();
  });
});
