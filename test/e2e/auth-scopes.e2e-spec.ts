import type { OpenAPIObject } from '@nestjs/swagger';
import { SCOPES, type Scope } from '../../src/common/scopes';
import { buildOpenApiDocument } from '../../src/platform/http/swagger';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(60_000);

const ADMIN_KEY = 'test-admin-key-0123456789-abcdefghij';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const OPEN_PATHS = ['/health', '/health/live', '/health/ready'];

interface Operation {
  readonly method: (typeof METHODS)[number];
  readonly path: string;
  readonly scope: string | undefined;
}

function operationsOf(document: OpenAPIObject): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((method) => {
      const op = (item as Record<string, Record<string, unknown>>)[method]!;
      return { method, path, scope: op['x-willow-scope'] as string | undefined };
    }),
  );
}

/**
 * A concrete URL for a path template; the route's own answer does not matter, only whether access let it through. The
 * event stream gets a filter it refuses (400, after access), so a request let through ends instead of streaming.
 */
const concrete = (path: string) =>
  path.replace('{Name}', 'q1').replace('{ID}', 'it_none').replace('{LockID}', 'lk_none').replace('{Override}', 'o1') +
  (path === '/v1/events' ? '?Types=not-a-type' : '');

/**
 * The scope matrix, route by route, from the served OpenAPI document: every operation declares a scope (or is one of
 * the open health routes); a key holding every scope but the one a route needs gets 403 naming it there; a key
 * holding just that scope gets past access (whatever the route then answers, never 401 or 403).
 */
describe('access control: the scope of every route', () => {
  let app: TestApp;
  let operations: Operation[];
  const keys = new Map<string, string>();

  const as = (key: string | null, op: Operation) => {
    let req = app.http()[op.method](concrete(op.path));
    if (key !== null) req = req.set('Authorization', `Bearer ${key}`);
    // Wait 0: a dequeue or lock acquire let through must not park; other routes refuse the field with 400.
    return op.method === 'get' ? req : req.send({ Wait: 0 });
  };

  beforeAll(async () => {
    app = await createTestApp({ WILLOW_ADMIN_KEY: ADMIN_KEY, WILLOW_RATE_LIMIT: '100000' });
    operations = operationsOf(buildOpenApiDocument(app.app));
    const createKey = (body: object) => app.http().post('/v1/auth/keys').set('Authorization', `Bearer ${ADMIN_KEY}`).send(body);
    for (const scope of SCOPES.filter((s) => s !== 'admin')) {
      const only = await createKey({ Name: `only-${scope}`, Scopes: [scope] });
      const allBut = await createKey({ Name: `all-but-${scope}`, Scopes: SCOPES.filter((s) => s !== scope && s !== 'admin') });
      expect([only.status, allBut.status]).toEqual([201, 201]);
      keys.set(`only-${scope}`, only.body.Key);
      keys.set(`all-but-${scope}`, allBut.body.Key);
    }
    const nonAdmin = await createKey({ Name: 'all-but-admin', Scopes: SCOPES.filter((s) => s !== 'admin') });
    keys.set('all-but-admin', nonAdmin.body.Key);
  });
  afterAll(() => app?.close());

  it('declares a known scope on every operation but the open health routes', () => {
    expect(operations.length).toBeGreaterThan(40);
    for (const op of operations) {
      const where = `${op.method.toUpperCase()} ${op.path}`;
      if (OPEN_PATHS.includes(op.path)) expect({ where, scope: op.scope }).toEqual({ where, scope: 'open' });
      else expect({ where, known: (SCOPES as readonly string[]).includes(op.scope ?? '') }).toEqual({ where, known: true });
    }
  });

  it('answers 401 UNAUTHENTICATED with WWW-Authenticate: Bearer on every protected route without a key', async () => {
    for (const op of operations.filter((o) => o.scope !== 'open')) {
      const res = await as(null, op);
      const where = `${op.method.toUpperCase()} ${op.path}`;
      expect({ where, status: res.status, code: res.body.Code }).toEqual({ where, status: 401, code: 'UNAUTHENTICATED' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('refuses, with 403 naming the scope, a key that has every scope but the one the route needs', async () => {
    for (const op of operations.filter((o) => o.scope !== 'open')) {
      const key = op.scope === 'admin' ? keys.get('all-but-admin')! : keys.get(`all-but-${op.scope}`)!;
      const res = await as(key, op);
      const where = `${op.method.toUpperCase()} ${op.path}`;
      expect({ where, status: res.status, code: res.body.Code, scope: res.body.Scope }).toEqual({ where, status: 403, code: 'FORBIDDEN', scope: op.scope });
      expect(res.body.Message).toContain(op.scope);
    }
  });

  it('lets through a key that has just the scope the route needs', async () => {
    for (const op of operations.filter((o) => o.scope !== 'open')) {
      const key = op.scope === 'admin' ? ADMIN_KEY : keys.get(`only-${op.scope as Scope}`)!;
      const res = await as(key, op);
      const where = `${op.method.toUpperCase()} ${op.path}`;
      expect({ where, refused: [401, 403].includes(res.status) }).toEqual({ where, refused: false });
    }
  });

  it('keeps the health routes open', async () => {
    expect((await app.http().get('/health/live')).status).toBe(200);
    expect((await app.http().get('/health/ready')).status).toBe(200);
  });
});
