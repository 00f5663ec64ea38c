import { WILLOW_STORE, type WillowStore } from '../../src/willow/willow.store';
import { QueueClient } from '../support/queue-client';
import { storeCases } from '../support/stores';
import type { TestApp } from '../support/test-app';

/**
 * A dequeue sees what was enqueued through the same instance before it, even with `Wait: 0`: on PostgreSQL the
 * instance reads the new channel into its index just after the enqueue commits, and a dequeue that found nothing
 * lets that read finish once before answering 204 (the read of its head). A channel listing and a queue's counts
 * likewise wait for those reads, and for the channel's counts, which are otherwise read at a slower pace.
 */
describe.each(storeCases())('Read your writes ($name store)', (store) => {
  let sut: TestApp;
  let q: QueueClient;
  beforeAll(async () => {
    sut = await store.start();
    // Every re-read of channels takes 100 ms more, as on a busy database: the dequeue must not outrun it.
    const willowStore = sut.app.get<WillowStore>(WILLOW_STORE);
    const channelStates = willowStore.channelStates.bind(willowStore);
    willowStore.channelStates = async (queue, keys) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return channelStates(queue, keys);
    };
    const channelHeads = willowStore.channelHeads.bind(willowStore);
    willowStore.channelHeads = async (queue, keys, countUpTo) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return channelHeads(queue, keys, countUpTo);
    };
    q = new QueueClient(sut, 'ryw');
    await q.create().expect(201);
  });
  afterAll(() => sut.close());

  it('hands out an item enqueued just before, in a channel new to the instance, with Wait 0', async () => {
    for (let round = 0; round < 10; round++) {
      const id = (await q.enqueue({ KeyValues: { round }, Data: round }).expect(201)).body.ID as string;
      const got = await q.dequeue({ Wait: 0, Query: { Where: { round } } });
      expect([got.status, got.body.ID]).toEqual([200, id]);
      await q.ack(id, { Passed: true, Attempt: 1 }).expect(200);
    }
  });

  it('lists a channel with the items enqueued just before, new or appended to', async () => {
    for (let round = 0; round < 3; round++) {
      await q.enqueue({ KeyValues: { listed: 'yes' }, Data: round, Updateable: false }).expect(201);
      const listed = await sut.http().post('/v1/queues/ryw/channels/query').send({ Where: { listed: 'yes' } });
      expect([listed.status, listed.body.map((c: { Waiting: number }) => c.Waiting)]).toEqual([200, [round + 1]]);
    }
  });

  it('counts a queue with the items enqueued and cancelled just before', async () => {
    const other = new QueueClient(sut, 'ryw-count');
    await other.create().expect(201);
    const ids: string[] = [];
    for (let round = 0; round < 3; round++) {
      ids.push((await other.enqueue({ KeyValues: { counted: 'yes' }, Data: round, Updateable: false }).expect(201)).body.ID as string);
      expect((await other.info().expect(200)).body).toMatchObject({ Waiting: round + 1 });
    }
    await sut.http().delete(`/v1/queues/ryw-count/items/${ids[0]}`).expect(204);
    expect((await other.info().expect(200)).body).toMatchObject({ Waiting: 2, Processing: 0 });
  });

  it('still answers 204 at once when nothing matches', async () => {
    expect((await q.dequeue({ Wait: 0, Query: { Where: { round: -1 } } })).status).toBe(204);
  });
});
