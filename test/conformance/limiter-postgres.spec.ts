import { Client } from 'pg';
import { canonicalTags } from '../../src/common/tags';
import { STALE_PLAN } from '../../src/limiter/limiter.store';
import { PostgresLimiterStore } from '../../src/limiter/store/postgres-limiter.store';
import { mapPgError } from '../../src/platform/storage/postgres/pg-errors';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import { openLimiter, type LimiterUnderTest } from '../support/limiter-harness';
import { describeLimiterStore, type LimiterStoreFixture } from './limiter-store.conformance';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage, postgresFixture, statementsSentBy } from './support/postgres-fixture';

jest.setTimeout(60_000);

/** In place of a COMMIT: the error of a server shutting down (57P01), which the store answers STORE_UNAVAILABLE. */
const FAILED_COMMIT = "DO $f$ BEGIN RAISE EXCEPTION 'the commit failed' USING ERRCODE = '57P01'; END $f$";

/**
 * Makes the next COMMIT sent by this process fail, with whatever statements go with it (they run, then the failure
 * in its place: the transaction is rolled back, as when a commit fails). Rejects with the store's error once it has.
 */
function failNextCommit(): Promise<unknown> {
  const original = Client.prototype.query;
  return new Promise((resolve, reject) => {
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const [config] = args;
      if (typeof config === 'string' && /(^|\n)COMMIT$/.test(config)) {
        spy.mockRestore();
        const failing = (original as (...a: unknown[]) => Promise<unknown>).call(this, config.replace(/COMMIT$/, FAILED_COMMIT));
        failing.then(resolve, (error: unknown) => reject(mapPgError(error)));
        return failing;
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original);
  });
}

describePostgres('limiter on PostgreSQL', (url) => {
  const fixture = async (): Promise<LimiterStoreFixture> => {
    const fx = await postgresFixture(url, (storage) => PostgresLimiterStore.open(storage));
    return {
      get store() {
        return fx.sut;
      },
      reopen: () => fx.reopen!(),
      failNextCommit,
      dispose: () => fx.dispose(),
    };
  };
  describeLimiterStore('postgres', fixture, { propertyRuns: 12, durable: true, orderedWrites: false, failableCommits: true });

  it('records no opId for a decrement planned under rules that changed: planned again, it is applied, once', async () => {
    const fx = await postgresFixture(url, (storage) => PostgresLimiterStore.open(storage));
    try {
      const { port, admin } = await openLimiter(fx.sut);
      const tags = { g: 'a' };
      await port.set({ tags, counters: 3 });
      await admin.createRule({ name: 'r', groupBy: ['g'], limit: 5 });
      const { version } = await fx.sut.loadRules();
      const change = { key: canonicalTags(tags), plan: { touched: [], enforced: [] }, counters: 1, opId: 'settle:1', now: Date.now(), retentionMs: 60_000 };
      // Planned before the rule was made: STALE_PLAN, nothing changed, the opId not taken.
      expect(await fx.sut.decrement({ ...change, version: version - 1 })).toBe(STALE_PLAN);
      expect(await port.decrement({ tags, counters: 1, opId: 'settle:1' })).toEqual({ tags, counters: 2 });
      expect(await port.decrement({ tags, counters: 1, opId: 'settle:1' })).toEqual({ tags, counters: 2 });
    } finally {
      await fx.dispose();
    }
  });

  it('writes a batch of counter writes in two round trips: locks, reads and opIds with the BEGIN, writes and notes with the COMMIT', async () => {
    const schema = freshSchemaName();
    const storage = await openPostgresStorage(url, schema, 10);
    try {
      const { port, admin } = await openLimiter(await PostgresLimiterStore.open(storage));
      await admin.createRule({ name: 'two', groupBy: ['g'], limit: 2 });
      await port.tryIncrementMany([{ tags: { g: 'a', w: 1 }, counters: 1 }, { tags: { g: 'a', w: 2 }, counters: 1 }]);
      // One batch: an increment refused by the limit, two decrements of one opId (the second changes nothing).
      const { result, texts } = await statementsSentBy(() =>
        Promise.all([
          port.tryIncrement({ tags: { g: 'a', w: 3 }, counters: 1 }),
          port.decrement({ tags: { g: 'a', w: 1 }, counters: 1, opId: 'op-1' }),
          port.decrement({ tags: { g: 'a', w: 1 }, counters: 1, opId: 'op-1' }),
        ]),
      );
      const [refused, first, again] = result;
      expect([refused.allowed, first.counters, again.counters]).toEqual([false, 0, 0]);
      expect(texts).toHaveLength(2);
      expect(texts[0]).toMatch(/^BEGIN;.*pg_advisory_xact_lock.*limiter_meta.*INSERT INTO limiter_decrement_ops/s);
      expect(texts[1]).toMatch(/INSERT INTO limiter_counts.*DELETE FROM limiter_counts.*pg_notify.*;\nCOMMIT$/s);
      expect((await port.explain({ tags: { g: 'a' }, counters: 1 })).limits[0].count).toBe(1);
      expect((await port.decrement({ tags: { g: 'a', w: 1 }, counters: 1, opId: 'op-1' })).counters).toBe(0);
      expect((await port.explain({ tags: { g: 'a' }, counters: 1 })).limits[0].count).toBe(1);
    } finally {
      await storage.close();
      await dropSchema(url, schema);
    }
  });

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
