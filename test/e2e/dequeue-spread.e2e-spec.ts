import type { TestApp } from '../support/test-app';
import { storeCases } from '../support/stores';

/**
 * Which channels one dequeue-batch takes from: a channel being claimed from goes after those of its priority claimed
 * from less (servedBefore), so a batch takes each channel's next item in turn, a channel's own items in line order.
 */
describe.each(storeCases())('dequeue-batch over channels ($name store)', (store) => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await store.start();
  });
  afterAll(() => sut.close());
  const post = (path: string, body: unknown) => sut.http().post(path).send(body as object);

  it('spreads over channels before it takes a second item of one, each channel’s in line order', async () => {
    expect((await post('/v1/queues', { Name: 'spread' })).status).toBe(201);
    const items = ['a1', 'a2', 'a3'].map((Data) => ({ KeyValues: { c: 'a' }, Data, Updateable: false }));
    expect((await post('/v1/queues/spread/items/batch', { Items: [...items, { KeyValues: { c: 'b' }, Data: 'b1', Updateable: false }] })).status).toBe(200);
    const got = await post('/v1/queues/spread/items/dequeue-batch', { Count: 2, Wait: 0 });
    expect(got.status).toBe(200);
    const data = got.body.Items.map((item: { Data: string }) => item.Data);
    expect(data).toEqual(['a1', 'b1']);
    const rest = await post('/v1/queues/spread/items/dequeue-batch', { Count: 5, Wait: 0 });
    expect(rest.body.Items.map((item: { Data: string }) => item.Data)).toEqual(['a2', 'a3']);
  });
});
