import { canonicalTags, type Tags } from '../../src/common/tags';
import { lockIdOf } from '../../src/locker/domain/lock-id';
import { LOCKER_PG_MIGRATIONS } from '../../src/locker/store/postgres-locker.migrations';
import { PostgresLockerStore } from '../../src/locker/store/postgres-locker.store';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import { WILLOW_PG_MIGRATIONS } from '../../src/willow/store/postgres-willow.migrations';
import { PostgresWillowStore } from '../../src/willow/store/postgres-willow.store';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage } from './support/postgres-fixture';
import { largestTags } from './support/largest-tags';

const T0 = Date.parse('2030-01-01T00:00:00Z');
/** A long key the released schemas could index (it compresses well), and one they could not. */
const LONG: Tags = { repo: 'willow', note: 'x'.repeat(1_000) };
const LARGEST = largestTags('');

/**
 * Upgrading a database whose Locker and Willow tables were made by the released migrations (the last ones that
 * indexed whole keys and channels): rows written then are found, ordered and changed as before, and keys too large
 * for an index work afterwards.
 */
describePostgres('upgrade of a schema that indexed whole keys', (url) => {
  let schema: string;
  let storage: PostgresStorage;
  beforeEach(async () => {
    schema = freshSchemaName();
    storage = await openPostgresStorage(url, schema);
  });
  afterEach(async () => {
    await storage.close();
    await dropSchema(url, schema);
  });

  it('keeps the locks and waiters of a Locker made by 001-002', async () => {
    expect(LOCKER_PG_MIGRATIONS.slice(0, 2).map((m) => m.id)).toEqual(['001-locks', '002-waiters']);
    await storage.migrate('locker', LOCKER_PG_MIGRATIONS.slice(0, 2));
    const key = canonicalTags(LONG);
    await storage.query(`INSERT INTO locker_locks (key, lock_id, session_id, fencing_token, timeout_ms, expires_at)
      VALUES ($1, $2, 'ss_old', nextval('locker_fencing'), 10000, $3)`, [key, lockIdOf(key), T0 + 10_000]);
    await storage.query(`INSERT INTO locker_locks (key, lock_id, session_id, fencing_token, timeout_ms, expires_at)
      VALUES ('{"a":1}', $1, 'ss_a', nextval('locker_fencing'), 10000, $2)`, [lockIdOf('{"a":1}'), T0 + 10_000]);
    await storage.query("INSERT INTO locker_instances (instance_id, seen_at) VALUES ($1, $2)", [storage.instanceId, T0]);
    await storage.query('INSERT INTO locker_waiters (key, instance_id, deadline) VALUES ($1, $2, $3)', [key, storage.instanceId, T0 + 60_000]);

    const sut = await PostgresLockerStore.open(storage);
    expect((await sut.listHeld(null, 10)).map((l) => [l.key, l.sessionId])).toEqual([['{"a":1}', 'ss_a'], [key, 'ss_old']]);
    expect(await sut.waiting([key], T0)).toEqual(new Map([[key, 1]]));
    expect(await sut.tryGrant({ key, tags: LONG, timeoutMs: 1_000, ticket: null }, T0)).toBeNull();
    expect(await sut.renew(lockIdOf(key), 'ss_old', T0 + 1)).toMatchObject({ kind: 'ok', lock: { expiresAt: T0 + 10_001 } });
    expect(await sut.release(lockIdOf(key), 'ss_old', T0 + 1)).toMatchObject({ kind: 'ok' });
    const largest = canonicalTags(LARGEST);
    expect(await sut.tryGrant({ key: largest, tags: LARGEST, timeoutMs: 1_000, ticket: null }, T0)).toMatchObject({ key: largest, fencingToken: 3 });
  });

  it('keeps the lines of a Willow made by 001', async () => {
    expect(WILLOW_PG_MIGRATIONS.slice(0, 1).map((m) => m.id)).toEqual(['001-queues-items']);
    await storage.migrate('willow', WILLOW_PG_MIGRATIONS.slice(0, 1));
    const channel = canonicalTags(LONG);
    await storage.query("INSERT INTO willow_queues (name, max_items, items, created_at) VALUES ('q', 10, 2, $1)", [T0]);
    for (const [id, data, updateable] of [['old1', '1', false], ['old2', '2', true]] as const) {
      await storage.query(`INSERT INTO willow_items (seq, id, queue, channel, state, data, updateable, retry_attempts,
        retry_front, timeout_ms, attempt) VALUES (nextval('willow_item_seq'), $1, 'q', $2, 0, $3, $4, 0, true, 60000, 0)`, [id, channel, data, updateable]);
    }

    const sut = await PostgresWillowStore.open(storage);
    const newItem = (tags: Tags, data: string) => ({ key: canonicalTags(tags), data, item: { tags, data, updateable: true, retryAttempts: 0, retryPosition: 'front' as const, timeoutMs: 60_000 } });
    expect(await sut.enqueue('q', [newItem(LONG, '3')])).toEqual([{ id: 'old2', collapsed: true, key: channel, priority: 0, reordered: false }]);
    expect(await sut.claimHead('q', channel, T0)).toMatchObject({ id: 'old1', data: '1', lastError: null });
    expect(await sut.claimHead('q', channel, T0)).toMatchObject({ id: 'old2', data: '3' });
    const largest = canonicalTags(LARGEST);
    expect(await sut.enqueue('q', [newItem(LARGEST, '4')])).toEqual([{ id: expect.any(String), collapsed: false, key: largest, priority: 0 }]);
    expect(await sut.channelStates('q', [largest, channel])).toHaveLength(2);
    expect(await sut.getQueue('q')).toEqual({ name: 'q', maxItems: 10, items: 3, paused: false });
  });
});
