import { createTestApp, type TestApp } from '../support/test-app';

/** Nothing a client sends may reach a 500: every fault is a 4xx `{Message, Code}` naming the field. */
describe('Bad input over HTTP', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({ WILLOW_MAX_DATA_BYTES: '1024' });
  });
  afterAll(() => sut.close());

  const lock = (body: unknown) => sut.http().post('/v1/locks').send(body as object);

  it.each([
    ['empty KeyValues', { KeyValues: {} }, 'KeyValues'],
    ['missing KeyValues', {}, 'KeyValues'],
    ['65 keys', { KeyValues: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }, 'KeyValues'],
    ['a null value', { KeyValues: { os: null } }, 'KeyValues.os'],
    ['an object value', { KeyValues: { os: { a: 1 } } }, 'KeyValues.os'],
    ['an array value', { KeyValues: { os: [1] } }, 'KeyValues.os'],
    ['a reserved key', { KeyValues: { _willow_queue: 'x' } }, 'KeyValues._willow_queue'],
    ['a $ key', { KeyValues: { $or: 'x' } }, 'KeyValues.$or'],
    ['a 1025-char value', { KeyValues: { a: 'x'.repeat(1025) } }, 'KeyValues.a'],
    ['KeyValues as an array', { KeyValues: [1, 2] }, 'KeyValues'],
    ['a negative Timeout', { KeyValues: { a: 1 }, Timeout: -5 }, 'Timeout'],
    ['a non-numeric Timeout', { KeyValues: { a: 1 }, Timeout: 'soon' }, 'Timeout'],
    ['a Timeout below 100ms', { KeyValues: { a: 1 }, Timeout: '50ms' }, 'Timeout'],
    ['a Timeout above 24h', { KeyValues: { a: 1 }, Timeout: '25h' }, 'Timeout'],
    ['a Wait above 10 minutes', { KeyValues: { a: 1 }, Wait: '11m' }, 'Wait'],
    ['a Wait as an object', { KeyValues: { a: 1 }, Wait: { ms: 1 } }, 'Wait'],
    ['an unknown field', { KeyValues: { a: 1 }, Selections: {} }, 'Selections'],
  ])('answers 400 INVALID_INPUT naming the field for %s', async (_name, body, path) => {
    const res = await lock(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: path });
    expect(res.body.Message).toContain(path);
  });

  it('answers 400 INVALID_JSON for malformed JSON', async () => {
    const res = await sut.http().post('/v1/locks').set('content-type', 'application/json').send('{"KeyValues": {');
    expect(res.status).toBe(400);
    expect(res.body.Code).toBe('INVALID_JSON');
  });

  it('answers 400 TOO_DEEP for nesting deeper than 64 levels, before validation', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await sut.http().post('/v1/locks').set('content-type', 'application/json').send(`{"KeyValues": ${deep}}`);
    expect(res.status).toBe(400);
    expect(res.body.Code).toBe('TOO_DEEP');
  });

  it('answers 413 TOO_LARGE for a body above the HTTP limit', async () => {
    const huge = JSON.stringify({ KeyValues: { a: 'x'.repeat(sut.config.maxBodyBytes + 10) } });
    const res = await sut.http().post('/v1/locks').set('content-type', 'application/json').send(huge);
    expect(res.status).toBe(413);
    expect(res.body.Code).toBe('TOO_LARGE');
  });

  it('accepts a JSON body sent without a Content-Type header', async () => {
    const res = await fetch(`${sut.url}/v1/locks`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify({ KeyValues: { noct: 1 } })),
    });
    expect(res.status).toBe(201);
  });

  it('answers a body that is not an object with 400', async () => {
    const res = await sut.http().post('/v1/locks').set('content-type', 'application/json').send('"text"');
    expect(res.status).toBe(400);
    expect(res.body.Code).toBe('INVALID_INPUT');
  });

  it('answers an unknown route with a JSON 404 ROUTE_NOT_FOUND', async () => {
    const res = await sut.http().get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ Code: 'ROUTE_NOT_FOUND', Message: expect.stringContaining('/v1/nothing-here') });
  });

  it('answers an invalid query with the path of the fault', async () => {
    const res = await sut.http().post('/v1/locks/query').send({ Where: { os: { $gt: [1] } } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Where.os.$gt' });
    const unknownOp = await sut.http().post('/v1/locks/query').send({ Where: { os: { $regex: 'x' } } });
    expect(unknownOp.status).toBe(400);
    expect(unknownOp.body.Path).toBe('Where.os.$regex');
  });

  it('answers a bad page Limit with 400', async () => {
    const res = await sut.http().get('/v1/locks?Limit=0');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Limit' });
  });

  it('echoes X-Request-ID, and generates one when absent', async () => {
    const given = await sut.http().get('/health/live').set('X-Request-ID', 'req-123');
    expect(given.headers['x-request-id']).toBe('req-123');
    const generated = await sut.http().get('/health/live');
    expect(generated.headers['x-request-id']).toMatch(/^\S{10,}$/);
  });

  it('reports readiness and liveness', async () => {
    await sut.http().get('/health/live').expect(200);
    const ready = await sut.http().get('/health/ready').expect(200);
    expect(ready.body.info.store.status).toBe('up');
    await sut.http().get('/health').expect(200);
  });
});
