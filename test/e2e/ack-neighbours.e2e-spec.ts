import { describePostgres, dropSchema, freshSchemaName } from '../conformance/support/postgres-fixture';
import { QueueClient } from '../support/queue-client';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(60_000);

const GOOD = 30;

/**
 * DESIGN §7.4/7.5: each ack is judged on its own. Many acks sent at once, some bad (a stale Attempt, an unknown id,
 * an id with a NUL byte), never fail a good one: every good ack answers 200 and its item is gone, on every store.
 */
describePostgres('concurrent acks, some bad, on both stores', (databaseUrl) => {
  const schema = freshSchemaName('e2e_acks');
  const stores: Array<[string, () => Promise<TestApp>]> = [
    ['sqlite', () => createTestApp()],
    ['postgres', () => createTestApp({ WILLOW_STORAGE: 'postgres', DATABASE_URL: databaseUrl, WILLOW_PG_SCHEMA: schema, WILLOW_PG_POOL_SIZE: '8' })],
  ];
  afterAll(() => dropSchema(databaseUrl, schema));

  describe.each(stores)('%s', (_label, open) => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await open();
    });
    afterAll(() => sut.close());

    it('answers every good ack 200 and removes its item, whatever the bad acks beside it', async () => {
      const q = new QueueClient(sut, `acks_${Date.now()}`);
      await q.create().expect(201);
      await q.enqueueBatch(Array.from({ length: GOOD + 4 }, (_, i) => ({ KeyValues: { n: i }, Data: i, Updateable: false }))).expect(200);
      const got = (await q.dequeueBatch({ Count: 100, Wait: 0 })).body.Items as Array<{ ID: string; Attempt: number }>;
      expect(got).toHaveLength(GOOD + 4);
      const [good, stale] = [got.slice(0, GOOD), got.slice(GOOD)];

      const bad = [
        ...stale.map((s) => () => q.ack(s.ID, { Passed: true, Attempt: s.Attempt + 1 })),
        () => q.ack('unknown-id', { Passed: true }),
        () => q.ack(`${encodeURIComponent(good[0].ID)}%00`, { Passed: true, Attempt: 1 }),
        () => q.ackBatch([{ ID: `${good[1].ID}\u0000`, Passed: true }]),
      ];
      const calls = [...good.map((g) => () => q.ack(g.ID, { Passed: true, Attempt: g.Attempt })), ...bad];
      // Interleaved and started together, so that bad acks share write batches with good ones.
      const order = calls.map((_, i) => (i * 7) % calls.length);
      const answers = await Promise.all(order.map((i) => calls[i]().then((res) => [i, res.status, res.body.Code] as const)));
      const byCall = new Map(answers.map(([i, status, code]) => [i, [status, code]]));

      expect(good.map((_, i) => byCall.get(i))).toEqual(Array(GOOD).fill([200, undefined]));
      expect(bad.map((_, i) => byCall.get(GOOD + i))).toEqual([
        ...stale.map(() => [409, 'LEASE_LOST']),
        [404, 'ITEM_NOT_FOUND'],
        [404, 'ITEM_NOT_FOUND'],
        [200, undefined],
      ]);
      for (const g of good) expect((await q.ack(g.ID, { Passed: true })).status).toBe(404);
      expect((await q.info().expect(200)).body).toMatchObject({ Waiting: 0, Processing: stale.length });
    });
  });
});
