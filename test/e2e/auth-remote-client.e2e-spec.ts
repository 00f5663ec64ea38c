import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { startServer, type ChildServer } from '../support/child-server';

jest.setTimeout(60_000);

/**
 * Protected mode seen from another machine: a network namespace joined to this one by a veth pair (private
 * addresses on the veth only; nothing leaves this machine), from which curl calls a server listening on 0.0.0.0.
 */
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' }).toString();
const canNamespace = (() => {
  try {
    return process.getuid?.() === 0 && Boolean(ip('netns', 'list') !== undefined);
  } catch {
    return false;
  }
})();
if (!canNamespace && process.env.CI === 'true') throw new Error('The remote-client e2e needs root and iproute2 (ip netns) under CI');
if (!canNamespace) console.warn('⚠ remote-client e2e SKIPPED: needs root and iproute2 (ip netns)');

const ADMIN_KEY = 'remote-admin-key-0123456789-abcdefghij';

(canNamespace ? describe : describe.skip)('access control for a client on another host (network namespace)', () => {
  const tag = randomBytes(3).toString('hex');
  const ns = `willow-${tag}`;
  const hostSide = `wv${tag}a`;
  const nsSide = `wv${tag}b`;
  const subnet = `10.${randomInt(200, 250)}.${randomInt(1, 250)}`;
  const hostAddress = `${subnet}.1`;
  const servers: ChildServer[] = [];

  /** curl from inside the namespace: status and body. */
  const remote = (server: ChildServer, path: string, headers: string[] = []) => {
    const port = new URL(server.url).port;
    const args = ['netns', 'exec', ns, 'curl', '-s', '-m', '5', '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h]), `http://${hostAddress}:${port}${path}`];
    const out = ip(...args).split('\n');
    const status = Number(out.pop());
    const text = out.join('\n');
    return { status, body: text ? JSON.parse(text) : undefined };
  };
  /** `count` GETs of `path` from one curl inside the namespace, sent at once (one process, so no spawn between them). */
  const remoteBurst = (server: ChildServer, path: string, count: number): number[] => {
    const url = `http://${hostAddress}:${new URL(server.url).port}${path}`;
    const args = ['netns', 'exec', ns, 'curl', '-s', '-m', '5', '--parallel', '--parallel-immediate', '-w', '%{http_code}\n'];
    const out = ip(...args, ...Array.from({ length: count }, () => ['-o', '/dev/null', url]).flat());
    return out.trim().split('\n').map(Number);
  };

  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
    ip('link', 'set', nsSide, 'netns', ns);
    ip('addr', 'add', `${hostAddress}/30`, 'dev', hostSide);
    ip('link', 'set', hostSide, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${subnet}.2/30`, 'dev', nsSide);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  });

  afterAll(async () => {
    for (const server of servers) await server.kill9();
    try {
      ip('netns', 'del', ns);
    } finally {
      try {
        ip('link', 'del', hostSide);
      } catch {
        // already gone with the namespace
      }
    }
  });

  const started = async (env: Record<string, string>) => {
    const server = await startServer({ WILLOW_DATA_DIR: ':memory:', HOST: '0.0.0.0', ...env });
    servers.push(server);
    return server;
  };

  it('protected mode refuses the remote client, saying how to configure a key, and answers loopback', async () => {
    const server = await started({});
    const refused = remote(server, '/v1/queues');
    expect(refused).toMatchObject({ status: 401, body: { Code: 'UNAUTHENTICATED' } });
    expect(refused.body.Message).toMatch(/WILLOW_ADMIN_KEY is unset.*set WILLOW_ADMIN_KEY/);
    expect(remote(server, '/health/live').status).toBe(200);
    expect((await fetch(`${server.url}/v1/queues`)).status).toBe(200);
  });

  it('with WILLOW_ADMIN_KEY, answers the remote client that sends a key and refuses one that does not', async () => {
    const server = await started({ WILLOW_ADMIN_KEY: ADMIN_KEY });
    expect(remote(server, '/v1/queues', [`Authorization: Bearer ${ADMIN_KEY}`]).status).toBe(200);
    expect(remote(server, '/v1/queues')).toMatchObject({ status: 401, body: { Code: 'UNAUTHENTICATED' } });
  });

  it('with WILLOW_AUTH=off, answers the remote client, limited by its address', async () => {
    const server = await started({ WILLOW_AUTH: 'off', WILLOW_RATE_LIMIT: '3' });
    const statuses = remoteBurst(server, '/v1/queues', 12).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses).toContain(429);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  });
});
