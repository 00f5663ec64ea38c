import { EventStreams } from '../../src/platform/observability/event-streams';
import { describePostgres, dropSchema, freshSchemaName } from '../conformance/support/postgres-fixture';
import { SseClient } from '../support/sse-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { sleep, waitUntil } from '../support/wait';

jest.setTimeout(120_000);

describe('an event-stream client that does not read', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({ WILLOW_EVENTS_BUFFER: '1500' });
    await sut.http().post('/v1/queues').send({ Name: 'flood' }).expect(201);
  });
  afterAll(() => sut.close());

  it('is sent a last overflow event and dropped, while the server keeps answering', async () => {
    const slow = await SseClient.open(`${sut.url}/v1/events`, { paused: true });
    const streams = sut.app.get(EventStreams);
    await waitUntil(async () => streams.size === 1);
    const pad = 'p'.repeat(400);
    // Each batch is 1000 events of about 500 bytes, written to the socket together; once the socket is full, the next
    // batches wait in the client's buffer of 1500 events until it overflows.
    for (let batch = 0; batch < 100 && streams.size > 0; batch++) {
      const items = Array.from({ length: 1_000 }, (_, i) => ({ KeyValues: { batch, i, pad }, Data: null }));
      await sut.http().post('/v1/queues/flood/items/batch').send({ Items: items }).expect(200);
    }
    expect(streams.size).toBe(0);
    const started = Date.now();
    await sut.http().get('/health/live').expect(200);
    await sut.http().post('/v1/queues/flood/items').send({ KeyValues: { after: 1 }, Data: 1 }).expect(201);
    expect(Date.now() - started).toBeLessThan(2_000);

    slow.resume();
    await waitUntil(async () => slow.ended, 30_000);
    const last = slow.frames[slow.frames.length - 1];
    expect(last).toMatchObject({ event: 'overflow', data: { Type: 'overflow', Message: expect.stringContaining('more than 1500 events') } });
    expect(slow.events.length).toBeGreaterThan(0);
    expect(slow.events.every((e) => e.Type === 'item.enqueued')).toBe(true);
  });

});

describe('an event-stream client that reads', () => {
  it('keeps up with batches that commit together (the default buffer holds their burst)', async () => {
    const sut = await createTestApp();
    try {
      await sut.http().post('/v1/queues').send({ Name: 'burst' }).expect(201);
      const reader = await SseClient.open(`${sut.url}/v1/events?Types=item.enqueued`);
      const batch = (n: number) => Array.from({ length: 1_000 }, (_, i) => ({ KeyValues: { n, i }, Data: null }));
      await Promise.all([0, 1, 2, 3].map((n) => sut.http().post('/v1/queues/burst/items/batch').send({ Items: batch(n) }).expect(200)));
      expect((await reader.waitForEvents(4_000, 10_000)).length).toBe(4_000);
      expect(reader.ended).toBe(false);
      reader.close();
    } finally {
      await sut.close();
    }
  });
});

describePostgres('events across instances', (databaseUrl) => {
  const schema = freshSchemaName('e2e_events');
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { WILLOW_STORAGE: 'postgres', DATABASE_URL: databaseUrl, WILLOW_PG_SCHEMA: schema };
    a = await createTestApp(env);
    b = await createTestApp(env);
    await a.http().post('/v1/queues').send({ Name: 'shared' }).expect(201);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(databaseUrl, schema);
  });

  it('streams on A an enqueue made through B, and each instance its own events once', async () => {
    const onA = await SseClient.open(`${a.url}/v1/events?Queue=shared`);
    const onB = await SseClient.open(`${b.url}/v1/events?Queue=shared`);
    const viaB = (await b.http().post('/v1/queues/shared/items').send({ KeyValues: { os: 'linux' }, Data: 1 }).expect(201)).body.ID;
    const viaA = (await a.http().post('/v1/queues/shared/items').send({ KeyValues: { os: 'mac' }, Data: 2 }).expect(201)).body.ID;
    const want = [{ Type: 'item.enqueued', Queue: 'shared', ID: viaB, KeyValues: { os: 'linux' }, At: expect.any(String) }, { Type: 'item.enqueued', Queue: 'shared', ID: viaA, KeyValues: { os: 'mac' }, At: expect.any(String) }];
    await onA.waitForEvents(2, 5_000);
    await onB.waitForEvents(2, 5_000);
    await sleep(200); // a duplicate would arrive by now
    const byId = (c: SseClient) => [...c.events].sort((x, y) => String(x.ID).localeCompare(String(y.ID)));
    const sorted = [...want].sort((x, y) => String(x.ID).localeCompare(String(y.ID)));
    expect(byId(onA)).toEqual(sorted);
    expect(byId(onB)).toEqual(sorted);
    onA.close();
    onB.close();
  });
});
