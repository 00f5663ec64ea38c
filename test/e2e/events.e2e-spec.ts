import { FakeScheduler } from '../../src/common/fake-scheduler';
import { runWorkload, TAGS } from '../support/observability-workload';
import { SseClient } from '../support/sse-client';
import { storeCases } from '../support/stores';
import type { TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';

jest.setTimeout(60_000);

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** DESIGN §11 events over a real HTTP client, on both stores: the workload's events in order, filtered. */
describe.each(storeCases())('GET /v1/events ($name store)', (store) => {
  let sut: TestApp;
  let time: FakeScheduler;
  const clients: SseClient[] = [];
  let closed = false;
  beforeEach(async () => {
    closed = false;
    time = new FakeScheduler();
    sut = await store.start({}, { time });
    for (const name of ['builds', 'other']) await sut.http().post('/v1/queues').send({ Name: name }).expect(201);
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    if (!closed) await sut.close();
  });
  const open = async (query: string) => {
    const client = await SseClient.open(`${sut.url}/v1/events${query}`);
    clients.push(client);
    return client;
  };

  it('streams the workload in order, filtered by Queue and by Types, within a second', async () => {
    const builds = await open('?Queue=builds');
    const deaths = await open('?Types=item.enqueued,item.dead');
    const everything = await open('');
    const ids = await runWorkload(sut, time);
    const done = Date.now();
    const expected: Array<[string, string | undefined]> = [
      ['item.enqueued', ids.a], ['item.collapsed', ids.a], ['item.enqueued', ids.c], ['item.enqueued', ids.e],
      ['item.dequeued', ids.a], ['item.dequeued', ids.c], ['channel.blocked', undefined],
      ['item.acked', ids.a], ['channel.unblocked', undefined], ['item.failed', ids.c], ['item.dead', ids.c],
      ['item.dequeued', ids.e], ['item.expired', ids.e], ['item.dead', ids.e],
      ['queue.paused', undefined], ['queue.resumed', undefined], ['item.enqueued', ids.f], ['item.cancelled', ids.f],
      ['item.enqueued', ids.g], ['item.enqueued', ids.h], ['item.enqueued', ids.i], ['item.dequeued', ids.h],
    ];
    const got = await builds.waitForEvents(expected.length);
    expect(Date.now() - done).toBeLessThan(1_000);
    expect(got.map((e) => [e.Type, e.ID])).toEqual(expected);
    expect(got.every((e) => e.Queue === 'builds' && ISO.test(String(e.At)))).toBe(true);
    expect(got[0]).toEqual({ Type: 'item.enqueued', Queue: 'builds', ID: ids.a, KeyValues: TAGS.a, At: expect.stringMatching(ISO) });
    expect(got.find((e) => e.Type === 'channel.blocked')).toEqual({ Type: 'channel.blocked', Queue: 'builds', KeyValues: TAGS.e, At: expect.any(String) });
    expect(got.find((e) => e.Type === 'queue.paused')).toEqual({ Type: 'queue.paused', Queue: 'builds', At: expect.any(String) });

    const filtered = await deaths.waitForEvents(10);
    expect(filtered.map((e) => [e.Type, e.Queue])).toEqual([
      ...[1, 2, 3].map(() => ['item.enqueued', 'builds']), ['item.enqueued', 'other'], ['item.dead', 'builds'], ['item.dead', 'builds'],
      ...[1, 2, 3, 4].map(() => ['item.enqueued', 'builds']),
    ]);
    const all = await everything.waitForEvents(expected.length + 4);
    expect(all.filter((e) => String(e.Type).startsWith('lock.')).map((e) => [e.Type, e.ID])).toEqual([
      ['lock.granted', ids.locks[0]], ['lock.released', ids.locks[0]], ['lock.granted', ids.locks[1]],
    ]);
    expect(all.find((e) => e.Type === 'lock.granted')).toEqual({ Type: 'lock.granted', ID: ids.locks[0], KeyValues: { resource: 'db' }, At: expect.any(String) });
  });

  it('sends a heartbeat comment every 15 s of the server clock, and nothing else while idle', async () => {
    const client = await open('');
    await time.advance(15_000);
    await waitUntil(async () => client.frames.some((f) => f.comment === 'heartbeat'));
    expect(client.frames.map((f) => f.comment)).toEqual(['connected', 'heartbeat']);
  });

  it('answers 400 naming an unknown type, an empty Queue or an unknown parameter', async () => {
    const bad = await sut.http().get('/v1/events?Types=item.enqueued,item.exploded').expect(400);
    expect(bad.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Types', Message: expect.stringContaining('"item.exploded"') });
    expect((await sut.http().get('/v1/events?Queue=').expect(400)).body).toMatchObject({ Path: 'Queue' });
    expect((await sut.http().get('/v1/events?Type=item.dead').expect(400)).body).toMatchObject({ Path: 'Type' });
  });

  it('ends every stream cleanly when the server shuts down', async () => {
    const client = await open('');
    closed = true;
    await sut.close();
    await waitUntil(async () => client.ended, 5_000);
  });
});
