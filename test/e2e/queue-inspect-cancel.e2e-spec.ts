import { storeCases } from '../support/stores';
import { QueueClient } from '../support/queue-client';
import type { TestApp } from '../support/test-app';

jest.setTimeout(60_000);

/** DESIGN §7.8: looking items up, listing them, and cancelling them, over HTTP on both stores. */
describe.each(storeCases())('Inspect and cancel items ($name store)', (store) => {
  let sut: TestApp;
  let q: QueueClient;
  beforeEach(async () => {
    sut = await store.start();
    q = new QueueClient(sut, 'builds');
    await q.create().expect(201);
  });
  afterEach(() => sut.close());

  const branch = (b: string) => ({ repo_name: 'willow', branch_name: b });
  const enqueue = async (b: string, Data: unknown) => (await q.enqueue({ KeyValues: branch(b), Data, Updateable: false }).expect(201)).body.ID as string;
  const inspect = (id: string) => sut.http().get(`/v1/queues/builds/items/${id}`);
  const cancel = (id: string) => sut.http().delete(`/v1/queues/builds/items/${id}`);
  const listing = (query: object, params = '') => sut.http().post(`/v1/queues/builds/items/query${params}`).send(query);
  const counters = async () => (await sut.http().get('/v1/limiter/counters').expect(200)).body as unknown[];

  it('shows a waiting item with its place in its channel, and a processing one with its lease', async () => {
    const [a1, b1, a2, a3] = [await enqueue('a', 1), await enqueue('b', 2), await enqueue('a', { n: 3 }), await enqueue('a', 4)];
    const waiting = (await inspect(a2).expect(200)).body;
    expect(waiting).toEqual({ ID: a2, KeyValues: branch('a'), Data: { n: 3 }, State: 'waiting', Priority: 0, Attempt: 0, Position: 1, EnqueuedAt: expect.any(String) });
    expect((await inspect(b1).expect(200)).body.Position).toBe(0);
    const delivery = (await q.dequeue({ Wait: 0, Query: { Where: { branch_name: 'a' } } })).body;
    expect(delivery.ID).toBe(a1);
    const processing = (await inspect(a1).expect(200)).body;
    expect(processing).toMatchObject({ State: 'processing', Attempt: 1, ExpiresAt: delivery.ExpiresAt });
    expect(processing).not.toHaveProperty('Position');
    expect((await inspect(a3).expect(200)).body.Position).toBe(1);
    await q.ack(a1, { Passed: true, Attempt: 1 }).expect(200);
    const gone = await inspect(a1).expect(404);
    expect(gone.body.Code).toBe('ITEM_NOT_FOUND');
    expect((await sut.http().get('/v1/queues/nope/items/x').expect(404)).body.Code).toBe('QUEUE_NOT_FOUND');
  });

  it('shows why the last delivery failed, from the failed ack, in the item and in the listing', async () => {
    const id = (await q.enqueue({ KeyValues: branch('c'), Data: 1, RetryAttempts: 1 }).expect(201)).body.ID as string;
    expect((await inspect(id).expect(200)).body).not.toHaveProperty('LastError');
    await q.dequeue({ Wait: 0 }).then((r) => expect(r.body.ID).toBe(id));
    await q.ack(id, { Passed: false, Attempt: 1, Error: 'exit code 2' }).expect(200);
    expect((await inspect(id).expect(200)).body).toMatchObject({ State: 'waiting', Attempt: 1, LastError: 'exit code 2' });
    expect((await listing({}).expect(200)).body).toEqual([expect.objectContaining({ ID: id, LastError: 'exit code 2' })]);
  });

  it('lists the items of matching channels by arrival without Data, by State, a page at a time', async () => {
    const [a1, , a2] = [await enqueue('a', 1), await enqueue('b', 2), await enqueue('a', 3)];
    await q.dequeue({ Wait: 0 }).then((r) => expect(r.body.ID).toBe(a1));
    const all = await listing({ Where: { branch_name: 'a' } }).expect(200);
    expect(all.body.map((i: { ID: string; State: string }) => [i.ID, i.State])).toEqual([[a1, 'processing'], [a2, 'waiting']]);
    expect(all.body[0]).not.toHaveProperty('Data');
    expect((await listing({ Where: { branch_name: 'a' } }, '?State=waiting').expect(200)).body.map((i: { ID: string }) => i.ID)).toEqual([a2]);
    const first = await listing({}, '?Limit=2').expect(200);
    expect(first.body).toHaveLength(2);
    const rest = await listing({}, `?Limit=2&Cursor=${first.headers['willow-next-cursor']}`).expect(200);
    expect(rest.body.map((i: { ID: string }) => i.ID)).toEqual([a2]);
    expect(rest.headers['willow-next-cursor']).toBeUndefined();
    expect((await listing({}, '?State=dead').expect(400)).body.Code).toBe('INVALID_INPUT');
  });

  it('cancels a waiting item: gone, not a dead letter, and the next one in its channel goes first', async () => {
    const [a1, a2] = [await enqueue('a', 1), await enqueue('a', 2)];
    await cancel(a1).expect(204);
    expect((await inspect(a1).expect(404)).body.Code).toBe('ITEM_NOT_FOUND');
    expect((await cancel(a1).expect(404)).body.Code).toBe('ITEM_NOT_FOUND');
    expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 1, Processing: 0 });
    expect((await inspect(a2).expect(200)).body.Position).toBe(0);
    expect((await q.dequeue()).body.ID).toBe(a2);
    expect((await q.deadLetters().expect(200)).body).toEqual([]);
  });

  it("cancels a processing item: its counter is freed at once, its holder gets LEASE_LOST 'cancelled', the channel goes on", async () => {
    await sut.http().post('/v1/limiter/rules').send({ Name: 'one_per_branch', GroupBy: ['branch_name'], Limit: 1 }).expect(201);
    const [a1, a2] = [await enqueue('a', 1), await enqueue('a', 2)];
    expect((await q.dequeue()).body).toMatchObject({ ID: a1, Attempt: 1 });
    expect(await counters()).toHaveLength(1);
    expect((await q.dequeue()).status).toBe(204); // the limit holds the channel
    await cancel(a1).expect(204);
    expect(await counters()).toEqual([]);
    for (const answer of [await q.heartbeat(a1, { Attempt: 1 }), await q.ack(a1, { Passed: true, Attempt: 1 })]) {
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ Code: 'LEASE_LOST', ID: a1, Attempt: 1, Message: expect.stringContaining('was cancelled') });
    }
    expect((await q.heartbeat(a1).expect(404)).body.Code).toBe('ITEM_NOT_FOUND');
    expect((await q.dequeue()).body).toMatchObject({ ID: a2, Attempt: 1 });
    expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 0, Processing: 1 });
    expect((await q.deadLetters().expect(200)).body).toEqual([]);
    expect((await sut.http().delete('/v1/queues/nope/items/x').expect(404)).body.Code).toBe('QUEUE_NOT_FOUND');
  });
});
