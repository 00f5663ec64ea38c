import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type ChildServer } from '../support/child-server';

const FILE = join(__dirname, '..', '..', 'openapi', 'openapi.json');

/**
 * The committed OpenAPI document is the one the built server serves at /docs-json. `npm run openapi` rewrites it;
 * this test fails when they drift.
 */
describe('OpenAPI document', () => {
  let server: ChildServer;
  beforeAll(async () => {
    server = await startServer({ WILLOW_DATA_DIR: ':memory:', NODE_ENV: 'production' });
  });
  afterAll(() => server.kill9());

  it('matches openapi/openapi.json', async () => {
    const served = await (await fetch(`${server.url}/docs-json`)).json();
    const text = JSON.stringify(served, null, 2) + '\n';
    if (process.env.WILLOW_WRITE_OPENAPI === '1') writeFileSync(FILE, text);
    expect(JSON.parse(readFileSync(FILE, 'utf8'))).toEqual(served);
  });

  it('gives every operation an operationId, a summary and its error responses', async () => {
    const doc = (await (await fetch(`${server.url}/docs-json`)).json()) as { paths: Record<string, Record<string, any>> };
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect({ where, id: typeof op.operationId }).toEqual({ where, id: 'string' });
        expect({ where, summary: typeof op.summary }).toEqual({ where, summary: 'string' });
        if (path.startsWith('/v1/')) expect({ where, has400: Boolean(op.responses['400']) }).toEqual({ where, has400: true });
      }
    }
  });

  it('serves Swagger UI at /docs in production mode', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
