import { SHARED_CACHE_TTL_MS } from '../../src/auth/key-registry.service';
import { describePostgres } from '../conformance/support/postgres-fixture';
import type { ChildServer } from '../support/child-server';
import { startCluster, type Cluster } from '../support/cluster';

jest.setTimeout(90_000);

const ADMIN_KEY = 'cluster-admin-key-0123456789-abcdefghij';

async function api(server: ChildServer, method: string, path: string, key: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describePostgres('access control across two PostgreSQL instances', (url) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(url, 2, { prefix: 'auth', env: { WILLOW_ADMIN_KEY: ADMIN_KEY } });
  });
  afterAll(() => cluster?.dispose());

  it('shares keys, and a key revoked through one instance is refused by the other well within its cache lifetime', async () => {
    const [a, b] = cluster.instances as [ChildServer, ChildServer];
    const created = await api(a, 'POST', '/v1/auth/keys', ADMIN_KEY, { Name: 'shared', Scopes: ['queues:read'] });
    expect(created.status).toBe(201);
    const key = created.body.Key as string;
    // B looks the key up and caches it.
    expect((await api(b, 'GET', '/v1/queues', key)).status).toBe(200);
    expect((await api(b, 'GET', '/v1/queues', key)).status).toBe(200);
    expect((await api(b, 'GET', '/v1/auth/keys', ADMIN_KEY)).body.map((k: { Name: string }) => k.Name)).toEqual(['shared']);

    expect((await api(a, 'DELETE', '/v1/auth/keys/shared', ADMIN_KEY)).status).toBe(204);
    const revokedAt = Date.now();
    expect((await api(a, 'GET', '/v1/queues', key)).status).toBe(401);
    let status = 200;
    while (status !== 401 && Date.now() - revokedAt < SHARED_CACHE_TTL_MS) status = (await api(b, 'GET', '/v1/queues', key)).status;
    const tookMs = Date.now() - revokedAt;
    expect(status).toBe(401);
    // The notification, not the cache running out, is what revoked it there.
    expect(tookMs).toBeLessThan(SHARED_CACHE_TTL_MS / 2);
  });
});
