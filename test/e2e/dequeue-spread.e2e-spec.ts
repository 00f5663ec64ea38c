import type { TestApp } from '../support/test-app';
import { storeCases } from '../support/stores';

/**
 * Which channels one dequeue-batch takes from. Alone on its store (embedded), an instance takes a channel's next items
 * in the same batch, in line order; on PostgreSQL, where instances share the store and pick alike, a batch first
 * takes from channels no claim of it is taking from (spreadBefore), so two instances do not race for the same items.
 */
describe.each(storeCases())('dequeue-batch over channels ($name store)', (store) => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await store.start();
  });
  afterAll(() => sut.close());
  const post = (path: string, body: unknown) => sut.http().post(path).send(body as object);

  it(store.name === 'postgres' ? 'spreads over channels before it takes a second item of one' : 'takes a channel’s items in line order', async () => {
    expect((await post('/v1/queues', { Name: 'spread' })).status).toBe(201);
    const items = ['a1', 'a2', 'a3'].map((Data) => ({ KeyValues: { c: 'a' }, Data, Updateable: false }));
    expect((await post('/v1/queues/spread/items/batch', { Items: [...items, { KeyValues: { c: 'b' }, Data: 'b1', Updateable: false }] })).status).toBe(200);
    const got = await post('/v1/queues/spread/items/dequeue-batch', { Count: 2, Wait: 0 });
    expect(got.status).toBe(200);
    const data = got.body.Items.map((item: { Data: string }) => item.Data);
    expect(data).toEqual(store.name === 'postgres' ? ['a1', 'b1'] : ['a1', 'a2']);
  });
});
