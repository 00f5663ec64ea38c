import { PostgresLimiterStore } from '../../src/limiter/store/postgres-limiter.store';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import { openLimiter, type LimiterUnderTest } from '../support/limiter-harness';
import { describeLimiterStore, type LimiterStoreFixture } from './limiter-store.conformance';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage, postgresFixture } from './support/postgres-fixture';

jest.setTimeout(60_000);

describePostgres('limiter on PostgreSQL', (url) => {
  const fixture = async (): Promise<LimiterStoreFixture> => {
    const fx = await postgresFixture(url, (storage) => PostgresLimiterStore.open(storage));
    return {
      get store() {
        return fx.sut;
      },
      reopen: () => fx.reopen!(),
      dispose: () => fx.dispose(),
    };
  };
  describeLimiterStore('postgres', fixture, { propertyRuns: 12, durable: true, orderedWrites: false });

  describe('three stores, each on its own pool, over one schema', () => {
    let schema: string;
    let storages: PostgresStorage[];
    let limiters: LimiterUnderTest[];
    beforeEach(async () => {
      schema = freshSchemaName();
      storages = await Promise.all([1, 2, 3].map(() => openPostgresStorage(url, schema, 10)));
      const stores = await Promise.all(storages.map((s) => PostgresLimiterStore.open(s)));
      limiters = await Promise.all(stores.map((store) => openLimiter(store)));
    });
    afterEach(async () => {
      await Promise.all(storages.map((s) => s.close()));
      await dropSchema(url, schema);
    });

    it('never let a group exceed Limit 3 under 300 concurrent increments spread over them', async () => {
      const [a] = limiters;
      await a.admin.createRule({ name: 'three', groupBy: ['g'], limit: 3 });
      const groups = ['a', 'b', 'c', 'd', 'e', 'f'];
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const g = groups[i % groups.length];
          const result = await limiters[i % 3].port.tryIncrement({ tags: { g, w: Math.floor(i / 6) % 4 }, counters: 1 });
          return { g, allowed: result.allowed };
        }),
      );
      console.info(`300 increments over 3 PostgreSQL stores: ${Date.now() - started} ms`);
      for (const g of groups) expect({ g, allowed: results.filter((r) => r.g === g && r.allowed).length }).toEqual({ g, allowed: 3 });
      const counters = (await a.port.listCounters({}, { limit: 10_000, cursor: null })).items;
      for (const g of groups) {
        const sum = counters.filter((c) => c.tags.g === g).reduce((n, c) => n + c.counters, 0);
        for (const limiter of limiters) {
          const explained = await limiter.port.explain({ tags: { g }, counters: 1 });
          expect({ g, sum, count: explained.limits[0].count }).toEqual({ g, sum: 3, count: 3 });
        }
      }
    });
  });
});
