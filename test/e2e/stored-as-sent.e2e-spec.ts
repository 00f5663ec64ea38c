import type { TestApp } from '../support/test-app';
import { storeCases } from '../support/stores';

/**
 * What a client sent is stored as sent or refused, never silently changed (DESIGN.md §2): keys named like
 * `Object.prototype` members are ordinary keys in every DTO, `__proto__` and numbers JSON cannot hold are refused
 * naming their path. Runs on every store.
 */
const PROTO_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', 'propertyIsEnumerable', 'isPrototypeOf'];

describe.each(storeCases())('Stored as sent ($name store)', (store) => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await store.start();
  });
  afterAll(() => sut.close());

  const post = (path: string, body: unknown) => sut.http().post(path).send(body as object);
  const raw = (method: 'post' | 'put' | 'delete', path: string, json: string) =>
    sut.http()[method](path).set('content-type', 'application/json').send(json);

  describe.each(PROTO_NAMES)('a key named %s', (name) => {
    const queue = `q-${name}`;
    const tagged = { os: 'linux', [name]: 'x' };
    const plain = { os: 'linux' };
    const data = { [name]: { [name]: 1 }, list: [{ [name]: true }] };
    beforeAll(async () => {
      expect((await post('/v1/queues', { Name: queue })).status).toBe(201);
    });

    it('is its own channel: an enqueue never collapses into the channel without it', async () => {
      const a = await post(`/v1/queues/${queue}/items`, { KeyValues: plain, Data: 'plain' });
      const b = await post(`/v1/queues/${queue}/items`, { KeyValues: tagged, Data: data });
      const c = await post(`/v1/queues/${queue}/items/batch`, { Items: [{ KeyValues: tagged, Data: data }] });
      expect([a.status, b.status, c.status]).toEqual([201, 201, 200]);
      expect(c.body.Results[0]).toEqual({ ID: b.body.ID, Collapsed: true });
      const channels = await sut.http().get(`/v1/queues/${queue}/channels`);
      expect(channels.body.map((ch: { KeyValues: object }) => ch.KeyValues)).toEqual(expect.arrayContaining([plain, tagged]));
      expect(channels.body).toHaveLength(2);
    });

    it('is matched as an ordinary key by queries, and the item comes back exactly as sent', async () => {
      const none = await post(`/v1/queues/${queue}/channels/query`, { Where: { [name]: 'zzz' } });
      expect(none.body).toEqual([]);
      const dequeued = await post(`/v1/queues/${queue}/items/dequeue`, { Query: { Where: { [name]: 'x' } }, Wait: 0 });
      expect(dequeued.status).toBe(200);
      expect(dequeued.body.KeyValues).toEqual(tagged);
      expect(dequeued.body.Data).toEqual(data);
      const acks = await post(`/v1/queues/${queue}/items/ack-batch`, { Acks: [{ ID: dequeued.body.ID, Passed: true, Attempt: 1 }] });
      expect(acks.body.Results).toEqual([{ ID: dequeued.body.ID, Status: 200 }]);
      expect((await sut.http().delete(`/v1/queues/${queue}/channels`).send({ KeyValues: plain })).status).toBe(204);
      expect((await sut.http().get(`/v1/queues/${queue}`)).body).toMatchObject({ Waiting: 0, Channels: 0 });
    });

    it('makes locks on different tag sets', async () => {
      const a = await post('/v1/locks', { KeyValues: { repo: name, [name]: 'A' }, Wait: 0 });
      const b = await post('/v1/locks', { KeyValues: { repo: name, other: 'B' }, Wait: 0 });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body.KeyValues).toEqual({ repo: name, [name]: 'A' });
      const held = await post('/v1/locks/query', { Where: { [name]: 'A' } });
      expect(held.body.map((l: { LockID: string }) => l.LockID)).toEqual([a.body.LockID]);
    });

    it('groups limiter rules, overrides and counters', async () => {
      const rule = `by-${name}`;
      expect((await post('/v1/limiter/rules', { Name: rule, GroupBy: [name], Limit: 1 })).status).toBe(201);
      const override = await post(`/v1/limiter/rules/${rule}/overrides`, { Name: 'two', KeyValues: { [name]: 'b' }, Limit: 2 });
      expect(override.status).toBe(201);
      expect(override.body.KeyValues).toEqual({ [name]: 'b' });
      expect((await post('/v1/limiter/counters', { KeyValues: { [name]: 'a' } })).status).toBe(200);
      expect((await post('/v1/limiter/counters', { KeyValues: { [name]: 'a' } })).body).toMatchObject({ Code: 'LIMIT_REACHED', Rule: rule });
      expect((await post('/v1/limiter/counters', { KeyValues: { [name]: 'a', x: 1 } })).status).toBe(409);
      const explain = await post('/v1/limiter/explain', { KeyValues: { [name]: 'b' }, Counters: 2 });
      expect(explain.body).toMatchObject({ Allowed: true, Limits: [{ Rule: rule, Override: 'two', Limit: 2 }] });
      expect((await sut.http().put('/v1/limiter/counters/set').send({ KeyValues: { [name]: 'c' }, Counters: 3 })).status).toBe(200);
      const listed = await post('/v1/limiter/counters/query', { Where: { [name]: { $exists: true } } });
      expect(listed.body).toEqual([
        { KeyValues: { [name]: 'a' }, Counters: 1 },
        { KeyValues: { [name]: 'c' }, Counters: 3 },
      ]);
    });
  });

  it('keeps a query over a prototype-named key from matching everything', async () => {
    expect((await post('/v1/queues', { Name: 'q-match' })).status).toBe(201);
    expect((await post('/v1/queues/q-match/items', { KeyValues: { os: 'linux' }, Data: 1 })).status).toBe(201);
    const res = await post('/v1/queues/q-match/items/dequeue', { Query: { Where: { hasOwnProperty: 'zzz' } }, Wait: 0 });
    expect(res.status).toBe(204);
  });

  it.each([
    ['an enqueue KeyValues', 'post', '/v1/queues/q-match/items', '{"KeyValues": {"os": "linux", "__proto__": "x"}, "Data": 1}', 'KeyValues.__proto__'],
    ['an enqueue Data', 'post', '/v1/queues/q-match/items', '{"KeyValues": {"os": "linux"}, "Data": {"a": [{"__proto__": {}}]}}', 'Data.a[0].__proto__'],
    ['a batch item', 'post', '/v1/queues/q-match/items/batch', '{"Items": [{"KeyValues": {"a": 1}, "Data": {"__proto__": 1}}]}', 'Items[0].Data.__proto__'],
    ['a dequeue query', 'post', '/v1/queues/q-match/items/dequeue', '{"Query": {"Where": {"__proto__": "x"}}, "Wait": 0}', 'Query.Where.__proto__'],
    ['a top-level field', 'post', '/v1/locks', '{"__proto__": {"KeyValues": {"a": 1}}}', '__proto__'],
    ['lock KeyValues', 'post', '/v1/locks', '{"KeyValues": {"__proto__": "x"}}', 'KeyValues.__proto__'],
    ['a lock query', 'post', '/v1/locks/query', '{"Where": {"$or": [{"__proto__": 1}]}}', 'Where.$or[0].__proto__'],
    ['a counter', 'post', '/v1/limiter/counters', '{"KeyValues": {"__proto__": "x"}}', 'KeyValues.__proto__'],
    ['a counter set', 'put', '/v1/limiter/counters/set', '{"KeyValues": {"__proto__": "x"}, "Counters": 1}', 'KeyValues.__proto__'],
    ['a channel delete', 'delete', '/v1/queues/q-match/channels', '{"KeyValues": {"__proto__": "x"}}', 'KeyValues.__proto__'],
    ['a number JSON cannot hold in Data', 'post', '/v1/queues/q-match/items', '{"KeyValues": {"os": "linux"}, "Data": {"n": 1e400}}', 'Data.n'],
    ['a number JSON cannot hold in a batch', 'post', '/v1/queues/q-match/items/batch', '{"Items": [{"KeyValues": {"a": 1}, "Data": [-1e999]}]}', 'Items[0].Data[0]'],
    ['a number JSON cannot hold in a query', 'post', '/v1/locks/query', '{"Where": {"cpu": {"$gt": 1e400}}}', 'Where.cpu.$gt'],
  ] as const)('refuses __proto__ and overflowing numbers in %s with 400 naming the path', async (_name, method, path, json, at) => {
    const res = await raw(method, path, json);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: at });
    expect(res.body.Message).toContain(at);
  });

  it('stored nothing for the refused requests', async () => {
    expect((await sut.http().get('/v1/queues/q-match')).body).toMatchObject({ Waiting: 1, Channels: 1 });
  });

  describe('a handed-out item (its answer embeds Data and KeyValues as stored)', () => {
    const tags = { '10': 'ten', '9': 9, os: 'lin"ux\\', 'ключ': 'значение 🌳', flag: true };
    const data = {
      text: 'quote " backslash \\ newline \n tab \t line separator \u2028 nul \u0000 astral 🌳',
      numbers: [0, -0.5, 1e21, 123456789.123, -1e-7, 9007199254740991],
      nested: { a: [null, true, false, {}, [], ''], 'k"ey': { deep: [[['x']]] } },
    };

    it.each([
      ['dequeue', { Wait: 0 }, (body: any) => body],
      ['dequeue-batch', { Count: 5, Wait: 0 }, (body: any) => body.Items[0]],
    ] as const)('comes back from %s as valid JSON, equal to what was sent', async (route, ask, itemOf) => {
      const queue = `q-raw-${route}`;
      expect((await post('/v1/queues', { Name: queue })).status).toBe(201);
      const sent = await post(`/v1/queues/${queue}/items`, { KeyValues: tags, Data: data, Timeout: '90s' });
      expect(sent.status).toBe(201);
      const res = await sut.http().post(`/v1/queues/${queue}/items/${route}`).send(ask).buffer(true).parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => (text += chunk));
        r.on('end', () => done(null, text));
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const item = itemOf(JSON.parse(res.body as string));
      expect(item).toEqual({ ID: sent.body.ID, KeyValues: tags, Data: data, Attempt: 1, Timeout: 90_000, ExpiresAt: expect.any(String) });
      expect(new Date(item.ExpiresAt).toISOString()).toBe(item.ExpiresAt);
      expect(Object.keys(item)).toEqual(['ID', 'KeyValues', 'Data', 'Attempt', 'Timeout', 'ExpiresAt']);
    });
  });
});
