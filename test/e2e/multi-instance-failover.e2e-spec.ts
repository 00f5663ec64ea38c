import { createServer, connect, type Server, type Socket } from 'node:net';
import { call, freePort, type ChildServer } from '../support/child-server';
import { expectCall, isRunning, startCluster, type Cluster } from '../support/cluster';
import { sleep, waitUntil } from '../support/wait';
import { describePostgres } from '../conformance/support/postgres-fixture';

jest.setTimeout(120_000);

/**
 * Instances of one PostgreSQL-backed service fail independently (DESIGN §8): when one is killed with SIGKILL the
 * others hold everything it acknowledged, take over its leases and keep serving; when one loses its database it
 * answers 503 STORE_UNAVAILABLE (never 500) and recovers on its own once the database is back.
 */
describePostgres('several instances on one PostgreSQL database: failures', (databaseUrl) => {
  let cluster: Cluster;
  let nodes: ChildServer[];
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    cluster = await startCluster(databaseUrl, 3, { prefix: 'e2e_failover' });
    nodes = [...cluster.instances];
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
    await proxy?.close();
  });

  it('keeps what a killed instance acknowledged, re-delivers or dead-letters its leases, and serves throughout', async () => {
    const [s1, s2, x] = nodes;
    // Writes acknowledged by X before it dies.
    await expectCall(x, 201, 'POST', '/v1/queues', { Name: 'fo' });
    await expectCall(x, 201, 'POST', '/v1/limiter/rules', { Name: 'fo_rule', GroupBy: ['fo_group'], Limit: 7 });
    await expectCall(x, 200, 'POST', '/v1/limiter/counters', { KeyValues: { fo_group: 'x' }, Counters: 2 });
    const lock = await expectCall(x, 201, 'POST', '/v1/locks', { KeyValues: { res: 'fo-lock' }, Timeout: '1h', Wait: 0 });
    const enqueue = async (kind: string, count: number, extra: object) => {
      const items = Array.from({ length: count }, (_, n) => ({ KeyValues: { kind, n }, Data: `${kind}-${n}`, Updateable: false, ...extra }));
      return ((await expectCall(x, 200, 'POST', '/v1/queues/fo/items/batch', { Items: items })).Results as Array<{ ID: string }>).map((r) => r.ID);
    };
    const ackedIds = await enqueue('acked', 2, {});
    const acked = await expectCall(x, 200, 'POST', '/v1/queues/fo/items/dequeue-batch', { Count: 2, Wait: '2s', Query: { Where: { kind: 'acked' } } });
    const ackAnswer = await expectCall(x, 200, 'POST', '/v1/queues/fo/items/ack-batch', {
      Acks: (acked.Items as Array<{ ID: string }>).map((i) => ({ ID: i.ID, Passed: true })),
    });
    expect(ackAnswer.Results.map((r: { ID: string; Status: number }) => [r.ID, r.Status]).sort()).toEqual(ackedIds.map((id) => [id, 200]).sort());
    const retryIds = await enqueue('retry', 5, { RetryAttempts: 1, Timeout: '3s' });
    const deadIds = await enqueue('dead', 3, { RetryAttempts: 0, Timeout: '3s' });
    const waitIds = await enqueue('wait', 5, {});
    const inFlight: Array<{ ID: string; Attempt: number; ExpiresAt: string }> = [];
    while (inFlight.length < 8) {
      const body = await expectCall(x, 200, 'POST', '/v1/queues/fo/items/dequeue-batch', {
        Count: 8 - inFlight.length,
        Wait: '1s',
        Query: { Where: { kind: { $in: ['retry', 'dead'] } } },
      });
      inFlight.push(...body.Items);
    }
    expect(inFlight.map((i) => i.ID).sort()).toEqual([...retryIds, ...deadIds].sort());
    expect(inFlight.every((i) => i.Attempt === 1)).toBe(true);

    // Traffic on the survivors from before the kill until the end: enqueue on one, dequeue and ack on the other.
    await expectCall(s1, 201, 'POST', '/v1/queues', { Name: 'live' });
    const failures: string[] = [];
    let served = 0;
    let stopTraffic = false;
    const traffic = (async () => {
      for (let n = 0; !stopTraffic; n++) {
        const [p, c] = n % 2 ? [s1, s2] : [s2, s1];
        const put = await call(p.url, 'POST', '/v1/queues/live/items', { KeyValues: { n }, Data: n, Updateable: false });
        const got = await call(c.url, 'POST', '/v1/queues/live/items/dequeue', { Wait: '5s', Query: { Where: { n } } });
        const ack = got.status === 200 ? await call(c.url, 'POST', `/v1/queues/live/items/${got.body.ID}/ack`, { Passed: true }) : got;
        if (put.status !== 201 || got.status !== 200 || ack.status !== 200) failures.push(`${put.status}/${got.status}/${ack.status}`);
        else served++;
      }
    })();
    await waitUntil(async () => served >= 3, 10_000);

    await x.kill9();
    const servedAtKill = served;
    // X died holding its leases: what follows is the survivors taking them over, not X expiring them itself.
    expect(Date.now()).toBeLessThan(Math.min(...inFlight.map((i) => Date.parse(i.ExpiresAt))));

    // Everything X acknowledged is there on both survivors.
    for (const s of [s1, s2]) {
      expect(await expectCall(s, 200, 'GET', '/v1/queues/fo')).toMatchObject({ Name: 'fo' });
      expect(await expectCall(s, 200, 'GET', '/v1/limiter/rules/fo_rule')).toMatchObject({ Name: 'fo_rule', GroupBy: ['fo_group'], Limit: 7 });
      expect(await expectCall(s, 200, 'POST', '/v1/limiter/counters/query', { Where: { fo_group: 'x' } })).toEqual([{ KeyValues: { fo_group: 'x' }, Counters: 2 }]);
      expect(await expectCall(s, 200, 'POST', '/v1/locks/query', { Where: { res: 'fo-lock' } })).toEqual([
        expect.objectContaining({ LockID: lock.LockID, FencingToken: lock.FencingToken }),
      ]);
      const channels = (await expectCall(s, 200, 'POST', '/v1/queues/fo/channels/query', { Where: { kind: 'wait' } })) as Array<{ Waiting: number }>;
      expect(channels.map((ch) => ch.Waiting)).toEqual([1, 1, 1, 1, 1]);
      expect(await expectCall(s, 200, 'POST', '/v1/queues/fo/channels/query', { Where: { kind: 'acked' } })).toEqual([]);
    }
    const held = await call(s1.url, 'POST', '/v1/locks', { KeyValues: { res: 'fo-lock' }, Wait: 0 });
    expect([held.status, held.body.Code]).toEqual([409, 'LOCK_HELD']);

    // X's leases run out; a survivor re-delivers the items with a retry left (attempt 2) and dead-letters the others.
    const redelivered: Array<{ ID: string; Attempt: number }> = [];
    while (redelivered.length < retryIds.length) {
      const res = await call(nodes[redelivered.length % 2].url, 'POST', '/v1/queues/fo/items/dequeue', { Wait: '10s', Query: { Where: { kind: 'retry' } } });
      if (res.status !== 200) throw new Error(`re-delivery: ${res.status} ${JSON.stringify(res.body)}`);
      redelivered.push(res.body);
      await expectCall(s2, 200, 'POST', `/v1/queues/fo/items/${res.body.ID}/ack`, { Passed: true, Attempt: res.body.Attempt });
    }
    expect(redelivered.map((i) => i.ID).sort()).toEqual([...retryIds].sort());
    expect(redelivered.every((i) => i.Attempt === 2)).toBe(true);
    await waitUntil(async () => (await expectCall(s1, 200, 'GET', '/v1/queues/fo/dead-letters')).length >= deadIds.length, 15_000);
    const dead = (await expectCall(s2, 200, 'GET', '/v1/queues/fo/dead-letters')) as Array<{ ID: string; Attempts: number; Reason: string }>;
    expect(dead.map((d) => d.ID).sort()).toEqual([...deadIds].sort());
    expect(dead.every((d) => d.Attempts === 1 && d.Reason === 'lease expired')).toBe(true);

    // The items X enqueued but never handed out are delivered by the survivors, in full.
    const waiting = await expectCall(s1, 200, 'POST', '/v1/queues/fo/items/dequeue-batch', { Count: 10, Wait: '2s', Query: { Where: { kind: 'wait' } } });
    expect((waiting.Items as Array<{ ID: string }>).map((i) => i.ID).sort()).toEqual([...waitIds].sort());
    // Another instance's counts follow within milliseconds (it re-reads what it hears of).
    await waitUntil(async () => {
      const info = await expectCall(s2, 200, 'GET', '/v1/queues/fo');
      return info.Waiting === 0 && info.Processing === 5;
    }, 5_000);

    stopTraffic = true;
    await traffic;
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(servedAtKill);
    for (const s of [s1, s2]) expect(isRunning(s)).toBe(true);
  });

  it('answers 503 STORE_UNAVAILABLE (never 500) while its database is unreachable, and recovers once it is back', async () => {
    const target = new URL(databaseUrl);
    proxy = await startProxy(target.hostname, Number(target.port || 5432));
    const proxied = new URL(databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    // Its LISTEN connection retries at most 200 ms apart (2 s by default): the recovery is tested, not its pace.
    const p = await cluster.add({ DATABASE_URL: proxied.toString(), WILLOW_RETRY_MAX_MS: '200' });
    const direct = nodes[0];
    await expectCall(p, 201, 'POST', '/v1/queues', { Name: 'before-cut' });

    await proxy.cut();
    await waitUntil(async () => (await call(p.url, 'GET', '/health/ready')).status === 503, 10_000);
    expect(await call(p.url, 'GET', '/health/ready')).toMatchObject({ status: 503, body: { Code: 'STORE_UNAVAILABLE' } });
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/v1/queues', { Name: 'during-cut' }],
      ['POST', '/v1/queues/before-cut/items', { KeyValues: { k: 1 }, Data: 1 }],
      ['POST', '/v1/locks', { KeyValues: { res: 'cut' }, Wait: 0 }],
      ['POST', '/v1/limiter/counters', { KeyValues: { k: 1 } }],
    ];
    for (const [method, path, body] of writes) {
      const res = await call(p.url, method, path, body);
      expect({ path, status: res.status, code: res.body?.Code }).toEqual({ path, status: 503, code: 'STORE_UNAVAILABLE' });
    }
    expect(isRunning(p)).toBe(true);
    expect((await call(direct.url, 'GET', '/health/ready')).status).toBe(200);

    const restoredAt = Date.now();
    await proxy.restore();
    await waitUntil(async () => (await call(p.url, 'GET', '/health/ready')).status === 200, 10_000);
    const readyAfter = Date.now() - restoredAt;
    await expectCall(p, 201, 'POST', '/v1/queues', { Name: 'after-cut' });
    expect((await call(direct.url, 'GET', '/v1/queues/during-cut')).status).toBe(404);
    await expectCall(direct, 200, 'GET', '/v1/queues/after-cut');

    // Its LISTEN connection is back too: a dequeue waiting on it wakes for an enqueue on another instance.
    const waiting = call(p.url, 'POST', '/v1/queues/after-cut/items/dequeue', { Wait: '10s' });
    await sleep(300);
    const item = await expectCall(direct, 201, 'POST', '/v1/queues/after-cut/items', { KeyValues: { k: 1 }, Data: 'back' });
    const enqueuedAt = Date.now();
    expect(await waiting).toMatchObject({ status: 200, body: { ID: item.ID, Data: 'back' } });
    console.log(`multi-instance database loss: ready ${readyAfter} ms after restore; wake-up after restore ${Date.now() - enqueuedAt} ms`);
  });
});

interface TcpProxy {
  readonly port: number;
  /** Destroys every connection and stops accepting new ones (they are refused). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP forwarder to the database that the test can cut and restore, standing in for a database that goes away. */
async function startProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const listenPort = await freePort();
  let server: Server | null = null;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(port, host);
        track(client);
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
  const stop = async () => {
    const closing = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
    server = null;
    for (const socket of sockets) socket.destroy();
    await closing;
  };
  await listen();
  return { port: listenPort, cut: stop, restore: listen, close: stop };
}
