import fc from 'fast-check';
import { LimiterApi } from '../support/limiter-api';
import { createTestApp, type TestApp } from '../support/test-app';

const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

/** Nothing a client sends to the Limiter reaches a 500: every fault is a 4xx `{Message, Code}` naming the field. */
describe('Limiter bad input over HTTP', () => {
  let app: TestApp;
  let api: LimiterApi;
  beforeAll(async () => {
    app = await createTestApp();
    api = new LimiterApi(app);
    await api.rule('builds', ['repo_name', 'branch_name'], 1);
  });
  afterAll(() => app.close());

  const rule = (extra: Record<string, unknown>) => ({ Name: 'r', GroupBy: ['k'], Limit: 1, ...extra });

  it.each([
    ['an empty GroupBy', rule({ GroupBy: [] }), 'GroupBy'],
    ['a GroupBy with a duplicate key', rule({ GroupBy: ['a', 'b', 'a'] }), 'GroupBy[2]'],
    ['a GroupBy key starting with $', rule({ GroupBy: ['$in'] }), 'GroupBy[0]'],
    ['a GroupBy that is a string', rule({ GroupBy: 'repo' }), 'GroupBy'],
    ['a GroupBy of 65 keys', rule({ GroupBy: Object.keys(keys(65)) }), 'GroupBy'],
    ['a missing GroupBy', { Name: 'r', Limit: 1 }, 'GroupBy'],
    ['a Limit below -1', rule({ Limit: -2 }), 'Limit'],
    ['a Limit above the maximum', rule({ Limit: 1_000_000_001 }), 'Limit'],
    ['a fractional Limit', rule({ Limit: 1.5 }), 'Limit'],
    ['a Limit as a string', rule({ Limit: '3' }), 'Limit'],
    ['a missing Limit', { Name: 'r', GroupBy: ['k'] }, 'Limit'],
    ['an empty Name', rule({ Name: '' }), 'Name'],
    ['a Name with a slash', rule({ Name: 'a/b' }), 'Name'],
    ['a Name with a newline', rule({ Name: 'a\nb' }), 'Name'],
    ['a Name of 129 characters', rule({ Name: 'x'.repeat(129) }), 'Name'],
    ['a Name that is a number', rule({ Name: 7 }), 'Name'],
    ['an unknown field', rule({ Overrides: [] }), 'Overrides'],
  ])('POST /v1/limiter/rules with %s is 400 naming the field', async (_label, body, path) => {
    const res = await api.createRule(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: path });
  });

  it.each([
    ['KeyValues missing a GroupBy key', { Name: 'o', KeyValues: { repo_name: 'w' }, Limit: 1 }, 'KeyValues'],
    ['65 KeyValues', { Name: 'o', KeyValues: keys(65), Limit: 1 }, 'KeyValues'],
    ['a null value', { Name: 'o', KeyValues: { repo_name: null, branch_name: 'm' }, Limit: 1 }, 'KeyValues.repo_name'],
    ['a Limit below -1', { Name: 'o', KeyValues: { repo_name: 'w', branch_name: 'm' }, Limit: -3 }, 'Limit'],
    ['a bad Name', { Name: '', KeyValues: { repo_name: 'w', branch_name: 'm' }, Limit: 1 }, 'Name'],
    ['an unknown field', { Name: 'o', KeyValues: { repo_name: 'w', branch_name: 'm' }, Limit: 1, GroupBy: [] }, 'GroupBy'],
  ])('POST .../overrides with %s is 400 naming the field', async (_label, body, path) => {
    const res = await api.createOverride('builds', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: path });
  });

  it.each([
    ['GroupBy', { Limit: 1, GroupBy: ['a'] }, 'GroupBy'],
    ['no Limit', {}, 'Limit'],
    ['a Limit below -1', { Limit: -7 }, 'Limit'],
  ])('PUT of a rule with %s is 400', async (_label, body, path) => {
    const res = await api.updateRule('builds', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: path });
  });

  const counterCases: Array<[string, Record<string, unknown>, string]> = [
    ['a reserved _ key', { KeyValues: { _willow_queue: 'q' } }, 'KeyValues._willow_queue'],
    ['65 keys', { KeyValues: keys(65) }, 'KeyValues'],
    ['no KeyValues', { Counters: 1 }, 'KeyValues'],
    ['Counters 0', { KeyValues: { a: 1 }, Counters: 0 }, 'Counters'],
    ['negative Counters', { KeyValues: { a: 1 }, Counters: -1 }, 'Counters'],
    ['fractional Counters', { KeyValues: { a: 1 }, Counters: 1.5 }, 'Counters'],
    ['Counters as a string', { KeyValues: { a: 1 }, Counters: '2' }, 'Counters'],
    ['Counters above the maximum', { KeyValues: { a: 1 }, Counters: 1_000_000_001 }, 'Counters'],
    ['an unknown field', { KeyValues: { a: 1 }, Count: 1 }, 'Count'],
  ];

  it.each(counterCases)('POST /v1/limiter/counters with %s is 400', async (_label, body, path) => {
    const res = await app.http().post('/v1/limiter/counters').send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: path });
  });

  it.each(counterCases)('DELETE /v1/limiter/counters with %s is 400', async (_label, body, path) => {
    const res = await app.http().delete('/v1/limiter/counters').send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: path });
  });

  it('refuses a set without Counters or below 0, but lets it name reserved keys', async () => {
    expect((await app.http().put('/v1/limiter/counters/set').send({ KeyValues: { a: 1 } })).body).toMatchObject({ Path: 'Counters' });
    expect((await api.set({ a: 1 }, -1)).body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Counters' });
    expect((await api.set({ _willow_queue: 'q' }, 2)).status).toBe(200);
  });

  it('refuses a bad Query and bad pagination', async () => {
    const res = await api.queryCounters({ Where: { os: { $gt: [1] } } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Where.os.$gt' });
    expect((await api.queryCounters({ Selections: {} })).body).toMatchObject({ Path: 'Selections' });
    expect((await api.listCounters('?Limit=0')).body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Limit' });
    expect((await api.listRules('?Limit=abc')).status).toBe(400);
  });

  it('refuses malformed JSON with INVALID_JSON', async () => {
    const res = await app.http().post('/v1/limiter/rules').set('content-type', 'application/json').send('{"Name": ');
    expect(res.status).toBe(400);
    expect(res.body.Code).toBe('INVALID_JSON');
  });

  it('never answers 500 to any JSON body on any Limiter route', async () => {
    const routes: Array<[string, string]> = [
      ['post', '/v1/limiter/rules'],
      ['put', '/v1/limiter/rules/builds'],
      ['post', '/v1/limiter/rules/builds/overrides'],
      ['post', '/v1/limiter/counters'],
      ['delete', '/v1/limiter/counters'],
      ['put', '/v1/limiter/counters/set'],
      ['post', '/v1/limiter/counters/query'],
      ['post', '/v1/limiter/explain'],
    ];
    const field = fc.constantFrom('Name', 'GroupBy', 'Limit', 'KeyValues', 'Counters', 'Where', '__proto__', 'constructor');
    const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(field, fc.jsonValue({ maxDepth: 3 })));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, async ([method, path], payload) => {
        const res = await (app.http() as any)[method](path).set('content-type', 'application/json').send(JSON.stringify(payload));
        expect({ method, path, payload, status: res.status < 500 }).toEqual({ method, path, payload, status: true });
        expect(typeof res.body.Code === 'string' || res.status < 300).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
