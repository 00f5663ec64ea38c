import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, startServer, type ChildServer } from '../support/child-server';

/**
 * Real server processes (dist/main.js) on a data directory, killed with SIGKILL and restarted: every write answered
 * 2xx must be there afterwards (DESIGN §8).
 */
jest.setTimeout(60_000);

describe('Willow queue durability across kill -9', () => {
  let dir: string;
  let server: ChildServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'willow-queue-'));
  });
  afterEach(async () => {
    await server?.kill9();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => (server = await startServer({ WILLOW_DATA_DIR: dir }));
  const restart = async () => {
    await server!.kill9();
    return start();
  };
  const api = (method: string, path: string, body?: unknown) => call(server!.url, method, path, body);
  const expectStatus = async (pending: Promise<{ status: number; body: any }>, status: number) => {
    const res = await pending;
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** Dequeues until nothing is left (each item stays processing). */
  const drain = async (queue: string): Promise<Array<{ ID: string; KeyValues: Record<string, unknown>; Data: any; Attempt: number }>> => {
    const out = [];
    for (;;) {
      const res = await api('POST', `/v1/queues/${queue}/items/dequeue-batch`, { Count: 100, Wait: 0 });
      if (res.status === 204) return out;
      expect(res.status).toBe(200);
      out.push(...res.body.Items);
    }
  };

  it('keeps every enqueue answered 2xx when killed with 300 enqueues in flight, in order within each channel', async () => {
    await start();
    await expectStatus(api('POST', '/v1/queues', { Name: 'q' }), 201);
    const answered = new Map<string, { channel: string; n: number }>();
    const sent = new Set<string>();
    let killed = false;
    const enqueue = async (channel: string, n: number): Promise<boolean> => {
      if (killed) return false;
      sent.add(`${channel}/${n}`);
      try {
        const res = await call(server!.url, 'POST', '/v1/queues/q/items', { KeyValues: { channel }, Data: { channel, n }, Updateable: false });
        if (res.status !== 201) throw new Error(`enqueue answered ${res.status}: ${JSON.stringify(res.body)}`);
        if (!killed) answered.set(res.body.ID, { channel, n });
        return true;
      } catch (error) {
        if (killed) return false;
        throw error;
      }
    };
    // 20 shared channels, each fed 10 items one after another (so the acknowledged order is known), and 100 items
    // on channels of their own, all at once.
    const shared = Array.from({ length: 20 }, async (_, c) => {
      for (let n = 0; n < 10; n++) if (!(await enqueue(`shared-${c}`, n))) return;
    });
    const own = Array.from({ length: 100 }, (_, c) => enqueue(`own-${c}`, 0));
    const all = Promise.all([...shared, ...own]);
    const giveUp = Date.now() + 20_000;
    while (answered.size < 120 && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 1));
    killed = true;
    await server!.kill9();
    await all;
    expect(answered.size).toBeGreaterThanOrEqual(120);
    expect(answered.size).toBeLessThan(300);

    await start();
    const items = await drain('q');
    const byId = new Map(items.map((i) => [i.ID, i]));
    expect(byId.size).toBe(items.length);
    for (const [id, { channel, n }] of answered) expect(byId.get(id)).toMatchObject({ KeyValues: { channel }, Data: { channel, n }, Attempt: 1 });
    // Nothing that was never sent appears; at most the one unanswered enqueue per channel that was committed.
    for (const item of items) expect(sent.has(`${item.Data.channel}/${item.Data.n}`)).toBe(true);
    const perChannel = new Map<string, number[]>();
    for (const item of items) perChannel.set(item.Data.channel, [...(perChannel.get(item.Data.channel) ?? []), item.Data.n]);
    for (const [channel, ns] of perChannel) {
      // Dequeued in line order, each channel holds 0, 1, ..., k: no gap and no reordering.
      expect({ channel, ns }).toEqual({ channel, ns: ns.map((_, i) => i) });
      const acknowledged = [...answered.values()].filter((a) => a.channel === channel).length;
      expect(ns.length - acknowledged).toBeGreaterThanOrEqual(0);
      expect(ns.length - acknowledged).toBeLessThanOrEqual(1);
    }
    const info = await expectStatus(api('GET', '/v1/queues/q'), 200);
    expect(info).toMatchObject({ Waiting: 0, Processing: items.length });
  });

  it('keeps live leases, expires the ones that ran out while down, and reconciles the running counters', async () => {
    await start();
    await expectStatus(api('POST', '/v1/queues', { Name: 'ci' }), 201);
    await expectStatus(api('POST', '/v1/limiter/rules', { Name: 'one_per_job', GroupBy: ['job'], Limit: 1 }), 201);
    const enqueue = (job: string, Data: string, extra: object) =>
      expectStatus(api('POST', '/v1/queues/ci/items', { KeyValues: { job }, Data, Updateable: false, ...extra }), 201);
    const dequeue = (job: string) => expectStatus(api('POST', '/v1/queues/ci/items/dequeue', { Wait: 0, Query: { Where: { job } } }), 200);
    await enqueue('long', 'long-1', { Timeout: '1h' });
    await enqueue('long', 'long-2', { Timeout: '1h' });
    await enqueue('retry', 'retry-1', { Timeout: '2s', RetryAttempts: 1 });
    await enqueue('dead', 'dead-1', { Timeout: '2s' });
    const long = await dequeue('long');
    const retry = await dequeue('retry');
    const dead = await dequeue('dead');
    const counter = (job: string, n: number) => ({ KeyValues: { job, _willow_queue: 'ci' }, Counters: n });
    expect((await api('GET', '/v1/limiter/counters')).body).toEqual([counter('dead', 1), counter('long', 1), counter('retry', 1)]);

    await server!.kill9();
    // Both short leases run out while the server is down.
    const runOut = Date.parse(dead.ExpiresAt) + 100;
    await new Promise((r) => setTimeout(r, Math.max(0, runOut - Date.now())));
    await start();

    // The counters equal what is actually processing: only the live lease holds one.
    expect((await api('GET', '/v1/limiter/counters')).body).toEqual([counter('long', 1)]);
    expect((await api('GET', '/v1/queues/ci')).body).toMatchObject({ Waiting: 2, Processing: 1 });
    const deadLetters = (await api('GET', '/v1/queues/ci/dead-letters')).body;
    expect(deadLetters).toEqual([expect.objectContaining({ ID: dead.ID, Data: 'dead-1', Attempts: 1, Reason: 'lease expired' })]);

    // The expired delivery with a retry left is delivered again; its old delivery is refused.
    const again = await dequeue('retry');
    expect(again).toMatchObject({ ID: retry.ID, Attempt: 2 });
    const stale = await api('POST', `/v1/queues/ci/items/${retry.ID}/ack`, { Passed: true, Attempt: 1 });
    expect([stale.status, stale.body.Code]).toEqual([409, 'LEASE_LOST']);

    // The live lease is still that delivery, and the reconciled counter still enforces the limit.
    await expectStatus(api('POST', `/v1/queues/ci/items/${long.ID}/heartbeat`, { Attempt: 1 }), 200);
    expect((await api('POST', '/v1/queues/ci/items/dequeue', { Wait: 0, Query: { Where: { job: 'long' } } })).status).toBe(204);
    await expectStatus(api('POST', `/v1/queues/ci/items/${long.ID}/ack`, { Passed: true, Attempt: 1 }), 200);
    expect(await dequeue('long')).toMatchObject({ Data: 'long-2', Attempt: 1 });
    expect((await api('GET', '/v1/limiter/counters')).body).toEqual([counter('long', 1), counter('retry', 1)]);
  });

  it('keeps collapses and acks answered 2xx', async () => {
    await start();
    await expectStatus(api('POST', '/v1/queues', { Name: 'q' }), 201);
    const first = await expectStatus(api('POST', '/v1/queues/q/items', { KeyValues: { c: 'x' }, Data: 'x1' }), 201);
    const collapsed = await expectStatus(api('POST', '/v1/queues/q/items', { KeyValues: { c: 'x' }, Data: 'x2', Timeout: '5m' }), 200);
    expect(collapsed).toEqual({ ID: first.ID, Collapsed: true });
    await expectStatus(api('POST', '/v1/queues/q/items', { KeyValues: { c: 'y' }, Data: 'y1' }), 201);
    await expectStatus(api('POST', '/v1/queues/q/items', { KeyValues: { c: 'z' }, Data: 'z1' }), 201);
    const y = await expectStatus(api('POST', '/v1/queues/q/items/dequeue', { Wait: 0, Query: { Where: { c: 'y' } } }), 200);
    const z = await expectStatus(api('POST', '/v1/queues/q/items/dequeue', { Wait: 0, Query: { Where: { c: 'z' } } }), 200);
    await expectStatus(api('POST', `/v1/queues/q/items/${y.ID}/ack`, { Passed: true, Attempt: 1 }), 200);
    await expectStatus(api('POST', `/v1/queues/q/items/${z.ID}/ack`, { Passed: false, Attempt: 1 }), 200);

    await restart();

    expect((await api('GET', '/v1/queues/q')).body).toEqual({ Name: 'q', MaxItems: -1, Paused: false, Waiting: 1, Scheduled: 0, Processing: 0, Channels: 1 });
    const items = await drain('q');
    expect(items).toEqual([expect.objectContaining({ ID: first.ID, KeyValues: { c: 'x' }, Data: 'x2', Attempt: 1, Timeout: 300_000 })]);
    expect((await api('GET', '/v1/queues/q/dead-letters')).body).toEqual([
      expect.objectContaining({ ID: z.ID, Data: 'z1', Attempts: 1, Reason: 'failed' }),
    ]);
    const acked = await api('POST', `/v1/queues/q/items/${y.ID}/ack`, { Passed: true });
    expect([acked.status, acked.body.Code]).toEqual([404, 'ITEM_NOT_FOUND']);
    expect((await api('GET', '/v1/limiter/counters')).body).toEqual([{ KeyValues: { c: 'x', _willow_queue: 'q' }, Counters: 1 }]);
  });
});
