import { Client } from 'pg';
import { call, type ChildServer } from '../support/child-server';
import { expectCall, isRunning, startCluster, type Cluster } from '../support/cluster';
import { sleep, waitUntil } from '../support/wait';
import { canonicalTags } from '../../src/common/tags';
import { describePostgres } from '../conformance/support/postgres-fixture';

jest.setTimeout(120_000);

/** The catch-up interval of the instance that waits for an unannounced item. */
const CATCH_UP_MS = 200;

interface Delivery {
  ID: string;
  KeyValues: Record<string, unknown>;
  Data: any;
  Attempt: number;
}

/**
 * Three real processes on one PostgreSQL schema behave as one queue (DESIGN §8): they start together on an empty
 * schema, never hand an item out twice, expire a lease exactly once, and wake each other's waiting consumers.
 */
describePostgres('several instances on one PostgreSQL database: the queue', (databaseUrl) => {
  let cluster: Cluster;
  let nodes: ChildServer[];
  beforeAll(async () => {
    // Started together on an empty schema: every instance migrates (under the advisory lock) at the same moment.
    // No periodic re-read within a test: a consumer on one instance can only be woken by another's announcement.
    cluster = await startCluster(databaseUrl, 3, { prefix: 'e2e_queue', env: { WILLOW_CATCH_UP_MS: '3600000' } });
    nodes = cluster.instances;
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
  });

  const consumeUntil = async (
    node: ChildServer,
    queue: string,
    done: () => boolean,
    onItems: (items: Delivery[]) => Promise<void>,
    body: object = { Count: 10, Wait: '500ms' },
  ) => {
    while (!done()) {
      const res = await call(node.url, 'POST', `/v1/queues/${queue}/items/dequeue-batch`, body);
      if (res.status === 204) continue;
      if (res.status !== 200) throw new Error(`dequeue-batch on ${node.url} answered ${res.status}: ${JSON.stringify(res.body)}`);
      await onItems(res.body.Items);
    }
  };

  it('starts three instances together on an empty schema: each migrates once, none crashes, all are ready', async () => {
    for (const node of nodes) {
      expect(isRunning(node)).toBe(true);
      expect((await call(node.url, 'GET', '/health/ready')).status).toBe(200);
      const errors = node.output().split('\n').filter((line) => /"level":(50|60)/.test(line));
      expect(errors).toEqual([]);
    }
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ module: string; n: number; distinct_ids: number }>(
        `SELECT module, count(*)::int AS n, count(DISTINCT id)::int AS distinct_ids FROM ${cluster.schema}.schema_migrations GROUP BY module ORDER BY module`,
      );
      expect(rows.map((r) => r.module)).toEqual(['auth', 'limiter', 'locker', 'willow']);
      for (const row of rows) expect(row.n).toBe(row.distinct_ids);
    } finally {
      await client.end();
    }
    // A write on one instance is served by the others: they share one store, not three.
    await expectCall(nodes[0], 201, 'POST', '/v1/queues', { Name: 'shared' });
    for (const node of nodes) expect(await expectCall(node, 200, 'GET', '/v1/queues/shared')).toMatchObject({ Name: 'shared', Waiting: 0 });
    expect((await call(nodes[2].url, 'POST', '/v1/queues', { Name: 'shared' })).body).toMatchObject({ Code: 'ALREADY_EXISTS' });
  });

  it('hands each of 5,000 items to exactly one of 30 consumers spread over three instances, and ends empty everywhere', async () => {
    const TOTAL = 5_000;
    const BATCH = 250;
    const CHANNELS = 8;
    await expectCall(nodes[1], 201, 'POST', '/v1/queues', { Name: 'bulk' });
    const enqueued = new Set<string>();
    const received = new Map<string, number>();
    const attempts = new Set<number>();
    const ackStatuses = new Map<string, number>();
    let acked = 0;

    const enqueueAll = async () => {
      const batches = Array.from({ length: TOTAL / BATCH }, (_, b) =>
        Array.from({ length: BATCH }, (_, i) => ({ KeyValues: { ch: `c${(b * BATCH + i) % CHANNELS}` }, Data: { n: b * BATCH + i }, Updateable: false })),
      );
      // One producer per instance, each sending its share of the batches in turn.
      await Promise.all(
        nodes.map(async (node, p) => {
          for (let b = p; b < batches.length; b += nodes.length) {
            const body = await expectCall(node, 200, 'POST', '/v1/queues/bulk/items/batch', { Items: batches[b] });
            for (const r of body.Results as Array<{ ID: string; Collapsed: boolean }>) {
              expect(r.Collapsed).toBe(false);
              enqueued.add(r.ID);
            }
          }
        }),
      );
    };
    const deadline = Date.now() + 90_000;
    const finished = () => received.size >= TOTAL || Date.now() > deadline;
    const consumers = Array.from({ length: 30 }, (_, c) =>
      consumeUntil(nodes[c % nodes.length], 'bulk', finished, async (items) => {
        for (const item of items) {
          received.set(item.ID, (received.get(item.ID) ?? 0) + 1);
          attempts.add(item.Attempt);
        }
        const acks = items.map((i) => ({ ID: i.ID, Passed: true, Attempt: i.Attempt }));
        const res = await expectCall(nodes[c % nodes.length], 200, 'POST', '/v1/queues/bulk/items/ack-batch', { Acks: acks });
        for (const r of res.Results as Array<{ ID: string; Status: number }>) {
          ackStatuses.set(r.ID, r.Status);
          if (r.Status === 200) acked++;
        }
      }),
    );
    const startedAt = Date.now();
    await Promise.all([enqueueAll(), ...consumers]);
    console.log(`multi-instance: 5,000 items enqueued and consumed by 30 consumers on 3 instances in ${Date.now() - startedAt} ms`);

    const duplicates = [...received].filter(([, n]) => n > 1);
    expect(duplicates).toEqual([]);
    expect(enqueued.size).toBe(TOTAL);
    expect(received.size).toBe(TOTAL);
    expect([...received.keys()].every((id) => enqueued.has(id))).toBe(true);
    expect([...attempts]).toEqual([1]);
    expect(acked).toBe(TOTAL);
    expect([...ackStatuses.values()].every((s) => s === 200)).toBe(true);
    for (const node of nodes) {
      await waitUntil(async () => {
        const info = await expectCall(node, 200, 'GET', '/v1/queues/bulk');
        return info.Waiting === 0 && info.Processing === 0 && info.Channels === 0;
      }, 5_000);
      expect((await call(node.url, 'POST', '/v1/queues/bulk/items/dequeue', { Wait: 0 })).status).toBe(204);
    }
  });

  it('expires an abandoned lease exactly once per expiry: attempts 1, 2, 3, then one dead letter, with three instances sweeping', async () => {
    const ITEMS = 30;
    await expectCall(nodes[2], 201, 'POST', '/v1/queues', { Name: 'lease' });
    const ids: string[] = [];
    for (let i = 0; i < ITEMS; i++) {
      const body = { KeyValues: { job: `j${i}` }, Data: i, Updateable: false, RetryAttempts: 2, Timeout: '1s' };
      ids.push((await expectCall(nodes[i % 3], 201, 'POST', '/v1/queues/lease/items', body)).ID);
    }
    const deliveries = new Map<string, number[]>();
    let settled = false;
    // Two consumers per instance take every delivery and never ack or heartbeat it.
    const consumers = Array.from({ length: 6 }, (_, c) =>
      consumeUntil(
        nodes[c % 3],
        'lease',
        () => settled,
        async (items) => {
          for (const item of items) deliveries.set(item.ID, [...(deliveries.get(item.ID) ?? []), item.Attempt]);
        },
        { Count: 10, Wait: '300ms' },
      ),
    );
    try {
      await waitUntil(async () => {
        const info = await expectCall(nodes[0], 200, 'GET', '/v1/queues/lease');
        const dead = await expectCall(nodes[1], 200, 'GET', '/v1/queues/lease/dead-letters');
        return info.Waiting === 0 && info.Processing === 0 && dead.length >= ITEMS;
      }, 30_000);
    } finally {
      settled = true;
      await Promise.all(consumers);
    }

    // Each delivery exactly once. Answers are recorded as they arrive: on a loaded host the answer of attempt 2 can
    // reach its consumer after attempt 3 was handed to another one (its lease ran out meanwhile), so order is not checked.
    for (const id of ids) expect({ id, attempts: [...(deliveries.get(id) ?? [])].sort() }).toEqual({ id, attempts: [1, 2, 3] });
    expect([...deliveries.keys()].sort()).toEqual([...ids].sort());
    for (const node of nodes) {
      const dead = (await expectCall(node, 200, 'GET', '/v1/queues/lease/dead-letters')) as Array<{ ID: string; Attempts: number }>;
      expect(dead.map((d) => d.ID).sort()).toEqual([...ids].sort());
      expect(dead.every((d) => d.Attempts === 3)).toBe(true);
      expect(await expectCall(node, 200, 'GET', '/v1/queues/lease')).toMatchObject({ Waiting: 0, Processing: 0 });
    }
  });

  it('wakes a dequeue waiting on one instance for an item enqueued on another (LISTEN/NOTIFY)', async () => {
    await expectCall(nodes[0], 201, 'POST', '/v1/queues', { Name: 'wake' });
    const latencies: number[] = [];
    for (let round = 0; round < 3; round++) {
      const waiter = nodes[round % 3];
      const producer = nodes[(round + 1) % 3];
      let answeredAt = 0;
      const waiting = call(waiter.url, 'POST', '/v1/queues/wake/items/dequeue', { Wait: '10s' }).then((res) => {
        answeredAt = Date.now();
        return res;
      });
      // Let the long-poll park on its instance first: what is measured is the wake-up, not the first look.
      await sleep(300);
      const enqueued = await expectCall(producer, 201, 'POST', '/v1/queues/wake/items', { KeyValues: { round }, Data: round, Updateable: false });
      const enqueuedAt = Date.now();
      const res = await waiting;
      expect(res).toMatchObject({ status: 200, body: { ID: enqueued.ID, Data: round } });
      latencies.push(Math.max(0, answeredAt - enqueuedAt));
      await expectCall(waiter, 200, 'POST', `/v1/queues/wake/items/${enqueued.ID}/ack`, { Passed: true });
    }
    // Latency is measured by test/bench (wakeup.bench.cjs); here only that the announcement wakes the waiter.
    console.log(`multi-instance wake-up, enqueue on B -> dequeue on A, ms: ${latencies.join(', ')}`);
  });

  it('answers QUEUE_NOT_FOUND on every instance once a queue that each has dequeued from is deleted on one of them', async () => {
    await expectCall(nodes[0], 201, 'POST', '/v1/queues', { Name: 'doomed' });
    // Each instance dequeues once, so each has found the queue to exist (and no longer asks the store for it).
    for (const node of nodes) await expectCall(node, 204, 'POST', '/v1/queues/doomed/items/dequeue', { Wait: '0s' });
    await expectCall(nodes[1], 204, 'DELETE', '/v1/queues/doomed');
    for (const node of nodes) {
      // The deletion is heard within milliseconds; far longer than that, a dequeue would keep answering 204.
      await waitUntil(async () => (await call(node.url, 'POST', '/v1/queues/doomed/items/dequeue', { Wait: '0s' })).status === 404, 2_000);
      const res = await call(node.url, 'POST', '/v1/queues/doomed/items/dequeue', { Wait: '0s' });
      expect(res).toMatchObject({ status: 404, body: { Code: 'QUEUE_NOT_FOUND' } });
      const ack = await call(node.url, 'POST', '/v1/queues/doomed/items/01ARZ3NDEKTSV4RRFFQ69G5FAV/ack', { Passed: true });
      expect(ack).toMatchObject({ status: 404, body: { Code: 'QUEUE_NOT_FOUND' } });
    }
  });

  it('catches up on an item whose announcement was lost (its instance died between commit and publish)', async () => {
    await expectCall(nodes[0], 201, 'POST', '/v1/queues', { Name: 'lost' });
    // An instance that re-reads often; the others re-read only after the default interval, longer than this test.
    const eager = await cluster.add({ WILLOW_CATCH_UP_MS: String(CATCH_UP_MS) });
    const waiting = call(eager.url, 'POST', '/v1/queues/lost/items/dequeue', { Wait: '15s' });
    await sleep(300);
    // Written as an enqueue would write it, with no announcement: what a crash right after the commit leaves behind.
    const db = new Client({ connectionString: cluster.databaseUrl, options: `-c search_path=${cluster.schema}` });
    await db.connect();
    try {
      await db.query(`INSERT INTO willow_items (seq, id, queue, channel, state, data, updateable, retry_attempts, retry_front,
        timeout_ms, attempt) VALUES (nextval('willow_item_seq'), 'lost-1', 'lost', $1, 0, '"found"', false, 0, true, 60000, 0)`, [
        canonicalTags({ lost: 'yes' }),
      ]);
    } finally {
      await db.end();
    }
    expect(await waiting).toMatchObject({ status: 200, body: { ID: 'lost-1', Data: 'found' } });
  });
});
