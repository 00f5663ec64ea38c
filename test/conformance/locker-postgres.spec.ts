import { INSTANCE_TTL_MS, type LockerEvent, type LockerStore, type StoredLock } from '../../src/locker/locker.store';
import { PostgresLockerStore } from '../../src/locker/store/postgres-locker.store';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import { canonicalTags } from '../../src/common/tags';
import { waitUntil } from '../support/wait';
import { describeLockerStore } from './locker-store.conformance';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage, postgresFixture } from './support/postgres-fixture';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const KEY = canonicalTags({ job: 'shared' });
const cmd = (ticket: number | null = null) => ({ key: KEY, tags: { job: 'shared' }, timeoutMs: 10_000, ticket });

describePostgres('locker on PostgreSQL', (url) => {
  describeLockerStore('postgres', () => postgresFixture(url, (storage) => PostgresLockerStore.open(storage)), { durable: true });

  describe('two instances on one schema', () => {
    let schema: string;
    let storages: PostgresStorage[];
    let a: LockerStore;
    let b: LockerStore;
    beforeEach(async () => {
      schema = freshSchemaName();
      storages = await Promise.all([openPostgresStorage(url, schema), openPostgresStorage(url, schema)]);
      [a, b] = await Promise.all(storages.map((s) => PostgresLockerStore.open(s)));
    });
    afterEach(async () => {
      await Promise.all(storages.map((s) => s.close()));
      await dropSchema(url, schema);
    });

    it('grant exactly one of 20 racers spread over both, with tokens that rise across them', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).tryGrant(cmd(), T0)));
      const granted = results.filter((r): r is StoredLock => r !== null);
      expect(granted).toHaveLength(1);
      const tokens = [granted[0].fencingToken];
      for (let round = 1; round <= 6; round++) tokens.push((await (round % 2 ? a : b).tryGrant(cmd(), T0 + round * 10_000))!.fencingToken);
      expect(tokens).toEqual([...new Set(tokens)].sort((x, y) => x - y));
    });

    it('keep one line: a waiter queued on one holds back a newcomer on the other, in ticket order', async () => {
      const first = await a.join(KEY, T0 + 60_000, T0);
      const second = await b.join(KEY, T0 + 60_000, T0);
      expect(second).toBeGreaterThan(first);
      expect(await b.tryGrant(cmd(), T0)).toBeNull();
      expect(await b.tryGrant(cmd(second), T0)).toBeNull();
      expect(await a.tryGrant(cmd(first), T0)).not.toBeNull();
      expect(await b.waiting([KEY], T0)).toEqual(new Map([[KEY, 1]]));
    });

    it('ignore the waiters of an instance not seen for the TTL, and remove them on the next beat with an event', async () => {
      const events: LockerEvent[] = [];
      await b.shared!.watch((e) => events.push(e));
      await a.join(KEY, T0 + 600_000, T0);
      const later = T0 + INSTANCE_TTL_MS + 1;
      expect(await b.waiting([KEY], later)).toEqual(new Map());
      await b.shared!.beat(later);
      await waitUntil(async () => events.some((e) => e.kind === 'freed' && e.key === KEY));
      expect(await b.tryGrant(cmd(), later)).not.toBeNull();
    });

    it('hear a release, an expiry and a departure on the other instance', async () => {
      const events: LockerEvent[] = [];
      await b.shared!.watch((e) => events.push(e));
      const lock = (await a.tryGrant(cmd(), T0))!;
      await a.release(lock.lockId, lock.sessionId, T0);
      const next = (await a.tryGrant(cmd(), T0))!;
      await a.expire(KEY, next.expiresAt);
      await a.leave(KEY, await a.join(KEY, T0 + 60_000, T0));
      await waitUntil(async () => events.length >= 3);
      expect(events).toEqual(Array.from({ length: 3 }, () => ({ kind: 'freed', key: KEY })));
    });
  });
});
