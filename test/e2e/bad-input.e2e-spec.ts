import { request as httpRequest } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
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

  it('refuses a query larger than 16384 characters of JSON with 400 naming it', async () => {
    const values = Array.from({ length: 2_000 }, (_, i) => `value-${i}`);
    const res = await sut.http().post('/v1/locks/query').send({ Where: { os: { $in: values } } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Message: expect.stringMatching(/at most 16384 are allowed/) });
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

  /** A raw POST (supertest would encode the body itself), answering status, headers and the parsed body. */
  function rawPost(path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${sut.url}${path}`, { method: 'POST', headers: { 'content-length': String(body.length), ...headers } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it.each([
    ['gzip', Buffer.from('this is not gzip at all')],
    ['gzip', gzipSync(Buffer.from('{"KeyValues": {"a": 1}}')).subarray(0, 12)],
    ['deflate', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0x00, 0x01])],
    ['br', Buffer.from('garbage garbage garbage')],
  ])('answers a body in a broken Content-Encoding (%s) with 400 INVALID_JSON and a request id', async (encoding, body) => {
    const res = await rawPost('/v1/locks', { 'content-type': 'application/json', 'content-encoding': encoding, 'x-request-id': 'enc-1' }, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ Code: 'INVALID_JSON', Message: expect.stringContaining('Content-Encoding') });
    expect(res.headers['x-request-id']).toBe('enc-1');
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('accepts a well-formed %s body', async (encoding, compress) => {
    const body = compress(Buffer.from(JSON.stringify({ KeyValues: { encoded: encoding }, Wait: 0 })));
    const res = await rawPost('/v1/locks', { 'content-type': 'application/json', 'content-encoding': encoding }, body);
    expect(res.status).toBe(201);
    expect(res.body.KeyValues).toEqual({ encoded: encoding });
  });

  it('answers a body in an unknown Content-Encoding with 400 INVALID_JSON', async () => {
    const res = await rawPost('/v1/locks', { 'content-encoding': 'zstd-ish' }, Buffer.from('{}'));
    expect(res.status).toBe(400);
    expect(res.body.Code).toBe('INVALID_JSON');
  });

  it('puts the request id on every answer, including malformed JSON, too-deep and too-large bodies', async () => {
    const malformed = await sut.http().post('/v1/locks').set('content-type', 'application/json').set('X-Request-ID', 'bad-json-1').send('{"KeyValues": {');
    expect(malformed.status).toBe(400);
    expect(malformed.headers['x-request-id']).toBe('bad-json-1');
    const deep = await sut.http().post('/v1/locks').set('content-type', 'application/json').send(`{"KeyValues": ${'['.repeat(100)}${']'.repeat(100)}}`);
    expect(deep.body.Code).toBe('TOO_DEEP');
    expect(deep.headers['x-request-id']).toMatch(/^\S{10,}$/);
    const huge = await sut.http().post('/v1/locks').set('content-type', 'application/json').send(JSON.stringify({ KeyValues: { a: 'x'.repeat(sut.config.maxBodyBytes + 10) } }));
    expect(huge.status).toBe(413);
    expect(huge.headers['x-request-id']).toMatch(/^\S{10,}$/);
  });

  it('reports readiness and liveness', async () => {
    await sut.http().get('/health/live').expect(200);
    const ready = await sut.http().get('/health/ready').expect(200);
    expect(ready.body.info.store.status).toBe('up');
    await sut.http().get('/health').expect(200);
  });
});
