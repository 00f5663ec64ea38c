import { FakeScheduler } from '../../src/common/fake-scheduler';
import { runWorkload } from '../support/observability-workload';
import { parseSamples, valueOf, type Sample } from '../support/prometheus-text';
import { storeCases } from '../support/stores';
import type { TestApp } from '../support/test-app';
import { createTestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

jest.setTimeout(60_000);

/** DESIGN §11 metrics after a scripted workload, on both stores: exact counters, histogram counts and gauges. */
describe.each(storeCases())('GET /metrics ($name store)', (store) => {
  let sut: TestApp;
  let time: FakeScheduler;
  beforeEach(async () => {
    time = new FakeScheduler();
    sut = await store.start({}, { time });
    for (const name of ['builds', 'other']) await sut.http().post('/v1/queues').send({ Name: name }).expect(201);
  });
  afterEach(() => sut.close());

  const scrape = async (): Promise<Sample[]> => {
    const res = await sut.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseSamples(res.text);
  };

  it('counts the workload exactly and reads the gauges from the queue, its store and the locker', async () => {
    await runWorkload(sut, time, async () => {
      await waitUntil(async () => valueOf(await scrape(), 'willow_lock_waiters') === 1);
      expect(valueOf(await scrape(), 'willow_locks_held')).toBe(1);
    });
    await sut.http().get('/no/such/route').expect(404);
    const m = await scrape();
    const builds = { queue: 'builds' };
    expect({
      enqueued: valueOf(m, 'willow_items_enqueued_total', builds),
      enqueuedOther: valueOf(m, 'willow_items_enqueued_total', { queue: 'other' }),
      collapsed: valueOf(m, 'willow_items_collapsed_total', builds),
      dequeued: valueOf(m, 'willow_items_dequeued_total', builds),
      passed: valueOf(m, 'willow_items_acked_total', { ...builds, result: 'passed' }),
      failed: valueOf(m, 'willow_items_acked_total', { ...builds, result: 'failed' }),
      expired: valueOf(m, 'willow_items_expired_total', builds),
      dead: valueOf(m, 'willow_items_dead_total', builds),
      waitCount: valueOf(m, 'willow_item_wait_seconds_count', builds),
      waitSum: valueOf(m, 'willow_item_wait_seconds_sum', builds),
      processingCount: valueOf(m, 'willow_item_processing_seconds_count', builds),
      refusals: valueOf(m, 'willow_limiter_refusals_total', { rule: 'one_per_branch' }),
      lockWaits: valueOf(m, 'willow_lock_wait_seconds_count'),
    }).toEqual({
      enqueued: 7, // a, c, e, f, g, h, i (the collapse is counted apart)
      enqueuedOther: 1,
      collapsed: 1,
      dequeued: 4, // a, c, e, h
      passed: 1,
      failed: 1,
      expired: 1,
      dead: 2,
      waitCount: 4,
      // a and c waited 2 s, e 2 s (blocked until the ack), h 0 s: fake time, exact
      waitSum: 6,
      processingCount: 2,
      refusals: 1,
      lockWaits: 2,
    });
    expect({
      waiting: valueOf(m, 'willow_queue_items', { ...builds, state: 'waiting' }),
      scheduled: valueOf(m, 'willow_queue_items', { ...builds, state: 'scheduled' }),
      processing: valueOf(m, 'willow_queue_items', { ...builds, state: 'processing' }),
      dead: valueOf(m, 'willow_queue_items', { ...builds, state: 'dead' }),
      channels: valueOf(m, 'willow_channels', builds),
      blocked: valueOf(m, 'willow_channels_blocked', builds),
      otherWaiting: valueOf(m, 'willow_queue_items', { queue: 'other', state: 'waiting' }),
      locksHeld: valueOf(m, 'willow_locks_held'),
      lockWaiters: valueOf(m, 'willow_lock_waiters'),
    }).toEqual({ waiting: 1, scheduled: 1, processing: 1, dead: 2, channels: 3, blocked: 0, otherWaiting: 1, locksHeld: 1, lockWaiters: 0 });

    const http = (labels: Record<string, string>) => valueOf(m, 'willow_http_request_duration_seconds_count', labels);
    expect(http({ method: 'POST', route: '/v1/queues/:Name/items', status: '201' })).toBe(8);
    expect(http({ method: 'POST', route: '/v1/queues/:Name/items', status: '200' })).toBe(1);
    expect(http({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(m.filter((s) => s.name === 'willow_http_request_duration_seconds_count' && /[0-9a-f]{8}|it_|no\/such/.test(s.labels.route))).toEqual([]);
    expect(valueOf(m, 'willow_store_commit_seconds_count')).toBeGreaterThan(0);
    expect(valueOf(m, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
  });

  it('shows a blocked channel while a limit holds it, and drops the series of a deleted queue', async () => {
    await sut.http().post('/v1/limiter/rules').send({ Name: 'one', GroupBy: ['b'], Limit: 1 }).expect(201);
    const items = sut.http();
    for (const os of ['linux', 'mac']) await items.post('/v1/queues/builds/items').send({ KeyValues: { b: 'x', os }, Data: 1 }).expect(201);
    await sut.http().post('/v1/queues/builds/items/dequeue-batch').send({ Count: 2, Wait: 0 }).expect(200);
    let m = await scrape();
    expect(valueOf(m, 'willow_channels_blocked', { queue: 'builds' })).toBe(1);
    expect(valueOf(m, 'willow_channels', { queue: 'builds' })).toBe(2);
    await sut.http().delete('/v1/queues/builds').expect(204);
    m = await scrape();
    expect(m.filter((s) => s.labels.queue === 'builds' && s.name.startsWith('willow_queue_items'))).toEqual([]);
  });
});

describe('WILLOW_METRICS=off', () => {
  it('serves neither /metrics nor /v1/events', async () => {
    const sut = await createTestApp({ WILLOW_METRICS: 'off' });
    try {
      await sut.http().get('/metrics').expect(404);
      await sut.http().get('/v1/events').expect(404);
    } finally {
      await sut.close();
    }
  });
});
