import { canonicalTags, type Tags } from '../../src/common/tags';
import type { NewItem } from '../../src/willow/willow.port';
import type { ItemCheck, Settled, StoredItem, WillowStore } from '../../src/willow/willow.store';
import type { Fixture, FixtureFactory } from './support/fixture';
import { describeLargeChannels } from './willow-store-large-tags.conformance';
import { describeLeasesAndAckBatches } from './willow-store-leases.conformance';
import { describeInspectAndCancel } from './willow-store-lifecycle.conformance';
import { describeScheduleAndPriority } from './willow-store-schedule.conformance';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const LEASE_MS = 60_000;
const Q = 'builds';

export interface WillowStoreCapabilities {
  /** The fixture offers `reopen` and state must survive it (file-backed and server-backed stores). */
  readonly durable: boolean;
}

const main = { repo_name: 'willow', branch_name: 'main' };
const dev = { repo_name: 'willow', branch_name: 'dev' };
const key = (tags: Tags) => canonicalTags(tags);

/** An item to enqueue; updateable by default, as the API's default is. */
function item(tags: Tags, data: unknown, opts: Partial<Omit<NewItem, 'tags' | 'data'>> = {}) {
  const newItem: NewItem = { tags, data, updateable: true, retryAttempts: 0, retryPosition: 'front', timeoutMs: LEASE_MS, ...opts };
  return { key: key(tags), item: newItem, data: JSON.stringify(data) };
}
const fixed = (tags: Tags, data: unknown, opts: Partial<Omit<NewItem, 'tags' | 'data'>> = {}) => item(tags, data, { updateable: false, ...opts });

function settled(result: Settled | ItemCheck | null | undefined): Settled {
  if (!result || !('outcome' in result)) throw new Error(`expected a settled item, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * The behaviour every `WillowStore` must show (src/willow/willow.store.ts), through that interface only. Time is a
 * fixed `now` passed to each call; the place in line is observed through `claimHead`, `channelHead` and listings.
 */
export function describeWillowStore(
  label: string,
  makeFixture: FixtureFactory<WillowStore>,
  { durable }: WillowStoreCapabilities = { durable: false },
): void {
  describe(`WillowStore [${label}]`, () => {
    let fx: Fixture<WillowStore>;
    let sut: WillowStore;
    beforeEach(async () => {
      fx = await makeFixture();
      sut = fx.sut;
      await sut.createQueue(Q, -1, T0);
    });
    afterEach(() => fx.dispose());

    const enqueue = (...items: ReturnType<typeof item>[]) => sut.enqueue(Q, items);
    const claim = async (tags: Tags, now = T0): Promise<StoredItem> => {
      const got = await sut.claimHead(Q, key(tags), now);
      if (!got) throw new Error(`expected an item waiting in ${key(tags)}`);
      return got;
    };
    /** Claims every waiting item of a channel in line order and returns their Data. */
    const drain = async (tags: Tags, queue = Q): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (let got = await sut.claimHead(queue, key(tags), T0); got; got = await sut.claimHead(queue, key(tags), T0)) {
        out.push(JSON.parse(got.data));
      }
      return out;
    };
    const fail = async (got: StoredItem, now = T0) => settled((await sut.settle(Q, [{ id: got.id, passed: false, attempt: got.attempt }], now))[0]);
    const pass = async (got: StoredItem) => settled((await sut.settle(Q, [{ id: got.id, passed: true, attempt: got.attempt }], T0))[0]);
    const items = async () => (await sut.getQueue(Q))?.items;
    const channelState = async (queue: string, k: string) => (await sut.channelStates(queue, [k]))[0] ?? null;
    /** The seq of a channel's first waiting item, or null, as every store answers it. */
    const headSeq = async (queue: string, k: string) => (await channelState(queue, k))?.headSeq ?? null;

    describe('queues', () => {
      it('creates a queue, refuses a duplicate name, and lists queues by name in pages', async () => {
        expect(await sut.getQueue(Q)).toEqual({ name: Q, maxItems: -1, items: 0, paused: false });
        await expect(sut.createQueue(Q, 5, T0)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
        expect(await sut.createQueue('a queue', 5, T0)).toEqual({ name: 'a queue', maxItems: 5, items: 0, paused: false });
        await sut.createQueue('zeta', 0, T0);
        expect((await sut.listQueues(null, 10)).map((x) => x.name)).toEqual(['a queue', Q, 'zeta']);
        expect((await sut.listQueues(null, 2)).map((x) => x.name)).toEqual(['a queue', Q]);
        expect((await sut.listQueues(Q, 2)).map((x) => x.name)).toEqual(['zeta']);
        expect(await sut.getQueue('nope')).toBeNull();
      });

      it('updates MaxItems without touching the items, and refuses an unknown queue', async () => {
        await enqueue(fixed(main, 1), fixed(main, 2));
        expect(await sut.updateQueue(Q, { maxItems: 1 })).toEqual({ name: Q, maxItems: 1, items: 2, paused: false });
        expect(await sut.getQueue(Q)).toEqual({ name: Q, maxItems: 1, items: 2, paused: false });
        await expect(sut.updateQueue('nope', { maxItems: 1 })).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' });
      });

      it('deletes a queue with its items and dead letters and returns the items that were processing', async () => {
        await enqueue(fixed(main, 'processing'), fixed(main, 'waiting'), fixed(dev, 'dead'));
        const running = await claim(main);
        await fail(await claim(dev));
        expect(await sut.listDead(Q, null, 10)).toHaveLength(1);
        const returned = await sut.deleteQueue(Q);
        expect(returned.map((x) => x.id)).toEqual([running.id]);
        expect(returned[0]).toMatchObject({ queue: Q, key: key(main), tags: main, attempt: 1 });
        expect(await sut.getQueue(Q)).toBeNull();
        expect(await sut.loadChannels()).toEqual([]);
        expect(await sut.loadLeases()).toEqual([]);
        expect(await sut.check(Q, running.id, null)).toEqual({ kind: 'not_found' });
        await sut.createQueue(Q, -1, T0);
        expect(await sut.listDead(Q, null, 10)).toEqual([]);
        expect(await headSeq(Q, key(main))).toBeNull();
        await expect(sut.deleteQueue('nope')).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' });
      });

      it('keeps queues apart: the same tags in two queues are two channels', async () => {
        await sut.createQueue('other', -1, T0);
        await sut.enqueue('other', [item(main, 'other')]);
        await enqueue(item(main, 'mine'));
        expect(await drain(main, 'other')).toEqual(['other']);
        expect(await drain(main)).toEqual(['mine']);
      });
    });

    describe('enqueue and collapse', () => {
      it('refuses an unknown queue with QUEUE_NOT_FOUND and writes nothing', async () => {
        await expect(sut.enqueue('nope', [item(main, 1)])).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' });
        expect(await sut.loadChannels()).toEqual([]);
      });

      it('collapses into the updateable last waiting item: same id, same place, new data', async () => {
        const [first, other] = await enqueue(item(main, 'c1'), item(dev, 'd1'));
        expect(first).toEqual({ id: expect.any(String), collapsed: false, key: key(main), priority: 0 });
        const headBefore = await headSeq(Q, key(main));
        const [second] = await enqueue(item(main, 'c2'));
        expect(second).toEqual({ id: first.id, collapsed: true, key: key(main), priority: 0, reordered: false });
        expect(await headSeq(Q, key(main))).toBe(headBefore);
        expect(headBefore!).toBeLessThan((await headSeq(Q, key(dev)))!);
        expect(await items()).toBe(2);
        const got = await claim(main);
        expect(got).toMatchObject({ id: first.id, data: JSON.stringify('c2'), attempt: 1 });
        expect(other.id).not.toBe(first.id);
      });

      it('appends behind a non-updateable last item; an updateable tail takes new data even from Updateable false', async () => {
        const [a] = await enqueue(item(main, 'c1'));
        const [b] = await enqueue(fixed(main, 'c2'));
        const [c] = await enqueue(item(main, 'c3'));
        expect(b).toMatchObject({ id: a.id, collapsed: true });
        expect(c).toMatchObject({ collapsed: false });
        expect(c.id).not.toBe(a.id);
        expect(await items()).toBe(2);
        expect(await drain(main)).toEqual(['c2', 'c3']);
      });

      it('never collapses into a processing item', async () => {
        const [a] = await enqueue(item(main, 'old'));
        const running = await claim(main);
        const [b] = await enqueue(item(main, 'new'));
        expect(b.collapsed).toBe(false);
        expect(b.id).not.toBe(a.id);
        expect(await sut.check(Q, running.id, 1)).toMatchObject({ kind: 'ok', item: { data: JSON.stringify('old') } });
        expect(await items()).toBe(2);
      });

      it('takes the settings of the collapsing item and resets the attempt count', async () => {
        await enqueue(item(main, 'v1', { retryAttempts: 1 }));
        const first = await claim(main);
        expect((await fail(first)).outcome).toBe('front');
        const [collapsed] = await enqueue(item(main, 'v2', { timeoutMs: 5_000, retryAttempts: 0 }));
        expect(collapsed).toMatchObject({ id: first.id, collapsed: true });
        const again = await claim(main, T0 + 10);
        expect(again).toMatchObject({ id: first.id, attempt: 1, timeoutMs: 5_000, expiresAt: T0 + 10 + 5_000, retryAttempts: 0, data: '"v2"' });
        expect((await fail(again)).outcome).toBe('dead');
      });

      it('collapses items of one batch into each other as if sent one by one', async () => {
        const results = await enqueue(item(main, 1), item(main, 2), fixed(main, 3), item(main, 4), item(dev, 5), item(main, 6));
        expect(results.map((r) => r.collapsed)).toEqual([false, true, true, false, false, true]);
        expect(results[1].id).toBe(results[0].id);
        expect(results[5].id).toBe(results[3].id);
        expect(await items()).toBe(3);
        expect(await drain(main)).toEqual([3, 6]);
      });

      it('bounds waiting + processing by MaxItems; a collapse is not a new item', async () => {
        await sut.createQueue('small', 2, T0);
        await sut.enqueue('small', [fixed(main, 1)]);
        await sut.claimHead('small', key(main), T0);
        await sut.enqueue('small', [item(dev, 2)]);
        expect((await sut.getQueue('small'))?.items).toBe(2);
        await expect(sut.enqueue('small', [item({ c: 3 }, 3)])).rejects.toMatchObject({ code: 'QUEUE_FULL' });
        expect(await sut.enqueue('small', [item(dev, 'collapsed')])).toEqual([expect.objectContaining({ collapsed: true })]);
        expect((await sut.getQueue('small'))?.items).toBe(2);
      });

      it('still collapses into a queue that holds more items than a lowered MaxItems, but refuses new items', async () => {
        await enqueue(fixed(main, 1), item(dev, 'd1'));
        await sut.updateQueue(Q, { maxItems: 1 });
        expect(await enqueue(item(dev, 'd2'))).toEqual([expect.objectContaining({ collapsed: true })]);
        await expect(enqueue(item({ c: 3 }, 3))).rejects.toMatchObject({ code: 'QUEUE_FULL' });
        expect(await items()).toBe(2);
        expect(await drain(dev)).toEqual(['d2']);
      });

      it('writes nothing of a batch that does not fit, even the items that would have fitted', async () => {
        await sut.createQueue('small', 2, T0);
        await expect(sut.enqueue('small', [item({ c: 1 }, 1), item({ c: 2 }, 2), item({ c: 3 }, 3)])).rejects.toMatchObject({ code: 'QUEUE_FULL' });
        expect((await sut.getQueue('small'))?.items).toBe(0);
        expect(await sut.loadChannels()).toEqual([]);
        await sut.enqueue('small', [item({ c: 1 }, 'a')]);
        // A collapse inside a refused batch is undone too.
        await expect(sut.enqueue('small', [item({ c: 1 }, 'b'), item({ c: 2 }, 2), item({ c: 3 }, 3)])).rejects.toMatchObject({ code: 'QUEUE_FULL' });
        expect(await drain({ c: 1 }, 'small')).toEqual(['a']);
      });

      it('takes an empty batch into a queue over a lowered MaxItems as nothing to add', async () => {
        await sut.createQueue('two', 2, T0);
        await sut.enqueue('two', [fixed(main, 1), fixed(dev, 2)]);
        await sut.updateQueue('two', { maxItems: 1 });
        expect(await sut.enqueue('two', [])).toEqual([]);
        expect((await sut.getQueue('two'))?.items).toBe(2);
      });

      it('lets a batch in when its collapses keep it within MaxItems', async () => {
        await sut.createQueue('one', 1, T0);
        const results = await sut.enqueue('one', [item(main, 1), item(main, 2), item(main, 3)]);
        expect(results.map((r) => r.collapsed)).toEqual([false, true, true]);
        expect((await sut.getQueue('one'))?.items).toBe(1);
      });

      it('admits exactly MaxItems of many concurrent enqueues', async () => {
        await sut.createQueue('ten', 10, T0);
        const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => sut.enqueue('ten', [item({ n: i }, i)])));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
        expect((await sut.getQueue('ten'))?.items).toBe(10);
      });

      it('judges concurrent requests into one channel in arrival order, each fitting under MaxItems or failing alone', async () => {
        await sut.createQueue('three', 3, T0);
        const sizes = [2, 2, 1, 2];
        // Every request starts in the channel `main`, so none can overtake another.
        const request = (n: number, r: number) => Array.from({ length: n }, (_, i) => fixed(i === 0 ? main : { r, i }, `${r}.${i}`));
        const results = await Promise.allSettled(sizes.map((n, r) => sut.enqueue('three', request(n, r))));
        expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
        expect(results[1]).toMatchObject({ reason: { code: 'QUEUE_FULL' } });
        expect((await sut.getQueue('three'))?.items).toBe(3);
        expect(await drain(main, 'three')).toEqual(['0.0', '2.0']);
        expect(await drain({ r: 0, i: 1 }, 'three')).toEqual(['0.1']);
      });

      it('collapses concurrent requests into one channel as if sent one by one: one item, the last Data', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => enqueue(item(main, i))));
        const ids = new Set(results.map(([r]) => r.id));
        expect(ids.size).toBe(1);
        expect(results.filter(([r]) => !r.collapsed)).toHaveLength(1);
        expect(await drain(main)).toEqual([19]);
      });
    });

    describe('claimHead', () => {
      it('answers the enqueue time of the item it hands out (the wait-time metric reads it)', async () => {
        await sut.enqueue(Q, [{ ...fixed(main, 1), at: T0 - 2_000 }]);
        expect((await claim(main, T0))?.enqueuedAt).toBe(T0 - 2_000);
      });

      it('hands out a channel first-in first-out, with attempt 1 and a lease from now', async () => {
        const ids = (await enqueue(fixed(main, 1), fixed(dev, 'x'), fixed(main, 2), fixed(main, 3))).map((r) => r.id);
        const first = await claim(main, T0 + 5);
        expect(first).toEqual({
          seq: expect.any(Number),
          id: ids[0],
          queue: Q,
          key: key(main),
          tags: main,
          data: '1',
          updateable: false,
          retryAttempts: 0,
          retryPosition: 'front',
          timeoutMs: LEASE_MS,
          attempt: 1,
          lastError: null,
          priority: 0,
          notBefore: null,
          retryDelayMs: 0,
          retryBackoff: 'fixed',
          expiresAt: T0 + 5 + LEASE_MS,
          enqueuedAt: null, // enqueued without a time
        });
        expect(await drain(main)).toEqual([2, 3]);
        expect(await sut.claimHead(Q, key(main), T0)).toBeNull();
        expect(await sut.claimHead(Q, key({ none: 1 }), T0)).toBeNull();
      });

      it('moves the channel head to the next waiting item, and to null when none is left', async () => {
        await enqueue(fixed(main, 1), fixed(main, 2));
        const head = await headSeq(Q, key(main));
        await claim(main);
        const next = await headSeq(Q, key(main));
        expect(next).toBeGreaterThan(head!);
        await claim(main);
        expect(await headSeq(Q, key(main))).toBeNull();
      });

      it('hands one waiting item to exactly one of many concurrent claims', async () => {
        await enqueue(item(main, 'only'));
        const got = await Promise.all(Array.from({ length: 10 }, () => sut.claimHead(Q, key(main), T0)));
        expect(got.filter(Boolean)).toHaveLength(1);
      });

      it('claimHeads claims each channel head as claimHead would, answering pairwise (null: none waiting or not due)', async () => {
        await enqueue(fixed(main, 1), fixed(dev, 'x'), fixed(main, 2));
        await sut.enqueue(Q, [{ ...fixed({ later: 1 }, 'l'), dueAt: T0 + 60_000 }]);
        const got = await sut.claimHeads(Q, [key(dev), key({ none: 1 }), key(main), key({ later: 1 })], T0 + 5);
        expect(got.map((g) => g && [g.data, g.attempt, g.expiresAt])).toEqual([['"x"', 1, T0 + 5 + LEASE_MS], null, ['1', 1, T0 + 5 + LEASE_MS], null]);
        expect(await sut.claimHeads(Q, [key(main), key(dev)], T0)).toEqual([expect.objectContaining({ data: '2' }), null]);
        expect(await sut.claimHeads(Q, [], T0)).toEqual([]);
      });

      it('claimHeads gives a channel named n times its first n items in line order, none past one not yet due', async () => {
        await enqueue(fixed(main, 'a'), fixed(main, 'b'), fixed(main, 'low', { priority: -1 }), fixed(main, 'high', { priority: 5 }), fixed(main, 'c'));
        await enqueue(fixed(dev, 'd1'), fixed(dev, 'd2'));
        await sut.enqueue(Q, [{ ...fixed(dev, 'later'), dueAt: T0 + 60_000 }]);
        await enqueue(fixed(dev, 'd3'));
        const got = await sut.claimHeads(Q, [key(main), key(dev), key(main), key(main), key(dev), key(dev), key(dev)], T0);
        expect(got.map((g) => g && JSON.parse(g.data))).toEqual(['high', 'd1', 'a', 'b', 'd2', null, null]);
        expect(got.every((g) => g === null || (g.attempt === 1 && g.expiresAt === T0 + LEASE_MS))).toBe(true);
        expect(await sut.claimHeads(Q, [key(main), key(main), key(main)], T0)).toEqual([
          expect.objectContaining({ data: '"c"' }),
          expect.objectContaining({ data: '"low"' }),
          null,
        ]);
        expect(await sut.claimHeads(Q, [key(dev), key(dev)], T0 + 60_000)).toEqual([
          expect.objectContaining({ data: '"later"' }),
          expect.objectContaining({ data: '"d3"' }),
        ]);
      });

      it('hands each waiting item to exactly one of many concurrent claimHeads naming each channel several times', async () => {
        const channels = Array.from({ length: 4 }, (_, i) => ({ ch: i }));
        await enqueue(...channels.flatMap((tags) => Array.from({ length: 6 }, (_, n) => fixed(tags, n))));
        const keys = channels.flatMap((tags) => [key(tags), key(tags), key(tags)]);
        const got = (await Promise.all(Array.from({ length: 6 }, () => sut.claimHeads(Q, keys, T0)))).flat().filter(Boolean);
        expect(got).toHaveLength(24);
        expect(new Set(got.map((g) => g!.id)).size).toBe(24);
      });

      it('hands each waiting item to exactly one of many concurrent claimHeads', async () => {
        const channels = Array.from({ length: 8 }, (_, i) => ({ ch: i }));
        await enqueue(...channels.flatMap((tags) => [fixed(tags, 1), fixed(tags, 2)]));
        const keys = channels.map(key);
        const got = (await Promise.all(Array.from({ length: 6 }, () => sut.claimHeads(Q, keys, T0)))).flat().filter(Boolean);
        expect(got).toHaveLength(16);
        expect(new Set(got.map((g) => g!.id)).size).toBe(16);
      });

      it('answers concurrent claimHeads of one queue in the order they were made, as if one after the other', async () => {
        await enqueue(...[1, 2, 3, 4, 5].map((n) => fixed(main, n)), fixed(dev, 'x'));
        const got = await Promise.all([
          sut.claimHeads(Q, [key(main)], T0),
          sut.claimHeads(Q, [key(dev), key(main), key(main)], T0 + 1),
          sut.claimHeads(Q, [key(dev), key(main)], T0 + 2),
        ]);
        expect(got.map((line) => line.map((g) => g && JSON.parse(g.data)))).toEqual([[1], ['x', 2, 3], [null, 4]]);
        expect(got.flat().every((g) => g === null || g.expiresAt! >= T0 + LEASE_MS)).toBe(true);
        expect((await sut.claimHeads(Q, [key(main), key(main)], T0)).map((g) => g && JSON.parse(g.data))).toEqual([5, null]);
      });

      it('keeps data of any JSON type', async () => {
        const data = [null, 0, 'text', { nested: [1, { x: true }] }, [1, 2], 'ünïcødé 🚀'];
        await enqueue(...data.map((d) => fixed(main, d)));
        expect(await drain(main)).toEqual(data);
      });
    });

    describe('check and renew', () => {
      it('finds a processing item with or without its attempt', async () => {
        await enqueue(item(main, 1));
        const got = await claim(main);
        expect(await sut.check(Q, got.id, 1)).toEqual({ kind: 'ok', item: got });
        expect(await sut.check(Q, got.id, null)).toEqual({ kind: 'ok', item: got });
      });

      it('answers lease_lost for a stale attempt and not_found for unknown ids, other queues and waiting items without attempt', async () => {
        await sut.createQueue('other', -1, T0);
        await enqueue(item(main, 1, { retryAttempts: 3 }));
        const first = await claim(main);
        await fail(first);
        // The item waits again: delivery 1 is over.
        expect(await sut.check(Q, first.id, 1)).toEqual({ kind: 'lease_lost', current: null });
        expect(await sut.check(Q, first.id, null)).toEqual({ kind: 'not_found' });
        await claim(main);
        expect(await sut.check(Q, first.id, 1)).toEqual({ kind: 'lease_lost', current: 2 });
        expect(await sut.check(Q, 'unknown', null)).toEqual({ kind: 'not_found' });
        expect(await sut.check(Q, 'unknown', 1)).toEqual({ kind: 'not_found' });
        expect(await sut.check('other', first.id, 2)).toEqual({ kind: 'not_found' });
      });

      it('renews a lease to now + timeout and keeps it', async () => {
        await enqueue(item(main, 1, { timeoutMs: 1_000 }));
        const got = await claim(main);
        const renewed = await sut.renew(Q, got.id, 1, T0 + 800);
        expect(renewed).toEqual({ kind: 'ok', item: { ...got, expiresAt: T0 + 1_800 } });
        expect(await sut.loadLeases()).toEqual([{ id: got.id, attempt: 1, expiresAt: T0 + 1_800 }]);
        expect(await sut.expireLease(got.id, 1, T0 + 1_000)).toBeNull();
        expect(await sut.renew(Q, got.id, null, T0 + 900)).toMatchObject({ kind: 'ok', item: { expiresAt: T0 + 1_900 } });
      });

      it('refuses to renew a stale or unknown delivery and changes nothing', async () => {
        await enqueue(item(main, 1, { retryAttempts: 3 }));
        const first = await claim(main);
        await fail(first);
        const second = await claim(main, T0 + 10);
        expect(await sut.renew(Q, first.id, 1, T0 + 500)).toEqual({ kind: 'lease_lost', current: 2 });
        expect(await sut.renew(Q, 'unknown', 1, T0 + 500)).toEqual({ kind: 'not_found' });
        expect(await sut.loadLeases()).toEqual([{ id: second.id, attempt: 2, expiresAt: second.expiresAt }]);
      });
    });

    describe('settle', () => {
      it('removes a passed item', async () => {
        await enqueue(item(main, 1));
        const got = await claim(main);
        expect(await pass(got)).toEqual({ item: got, outcome: 'acked' });
        expect(await sut.check(Q, got.id, null)).toEqual({ kind: 'not_found' });
        expect(await items()).toBe(0);
        expect(await sut.loadChannels()).toEqual([]);
        expect(await sut.listDead(Q, null, 10)).toEqual([]);
      });

      it('puts a failed front item back at its own place, before items that arrived after it', async () => {
        await enqueue(fixed(main, 'a', { retryAttempts: 1 }), fixed(main, 'b'));
        const a = await claim(main);
        const result = await fail(a);
        expect(result.outcome).toBe('front');
        expect(result.item.id).toBe(a.id);
        expect(await items()).toBe(2);
        const again = await claim(main);
        expect(again).toMatchObject({ id: a.id, attempt: 2 });
        expect(await drain(main)).toEqual(['b']);
      });

      it('puts a failed back item last in its channel, behind items that arrived after it', async () => {
        await enqueue(fixed(main, 'a', { retryAttempts: 1, retryPosition: 'back' }), fixed(main, 'b'), fixed(dev, 'other'));
        const a = await claim(main);
        const result = await fail(a);
        expect(result.outcome).toBe('back');
        expect(result.item.seq).toBeGreaterThan((await headSeq(Q, key(dev)))!);
        expect(await drain(main)).toEqual(['b', 'a']);
      });

      it('drops a failed updateable item when a newer item waits in its channel', async () => {
        await enqueue(item(main, 'old', { retryAttempts: 3 }));
        const old = await claim(main);
        await enqueue(item(main, 'new'));
        expect((await fail(old)).outcome).toBe('drop');
        expect(await sut.check(Q, old.id, null)).toEqual({ kind: 'not_found' });
        expect(await sut.listDead(Q, null, 10)).toEqual([]);
        expect(await items()).toBe(1);
        expect(await drain(main)).toEqual(['new']);
      });

      it('does not drop a failed updateable item for an older item that waits again before it', async () => {
        // Two deliveries of one channel run at once (no limit). The older one fails first and waits again at the
        // front; the newer one then fails: nothing newer waits, so it must come back, not be dropped.
        await enqueue(item(main, 'older', { retryAttempts: 2 }));
        const older = await claim(main);
        await enqueue(item(main, 'newer', { retryAttempts: 2 }));
        const newer = await claim(main);
        expect((await fail(older)).outcome).toBe('front');
        expect((await fail(newer)).outcome).toBe('front');
        expect(await items()).toBe(2);
        expect(await drain(main)).toEqual(['older', 'newer']);
      });

      it('dead-letters an item after RetryAttempts re-deliveries, with its deliveries and reason', async () => {
        await enqueue(fixed(main, 'job', { retryAttempts: 2 }), fixed(main, 'next'));
        for (const attempt of [1, 2]) {
          const got = await claim(main);
          expect(got.attempt).toBe(attempt);
          expect((await fail(got)).outcome).toBe('front');
        }
        const last = await claim(main);
        expect((await fail(last, T0 + 7)).outcome).toBe('dead');
        expect(await sut.listDead(Q, null, 10)).toEqual([
          expect.objectContaining({ id: last.id, key: key(main), tags: main, data: '"job"', attempt: 3, reason: 'failed', deadAt: T0 + 7 }),
        ]);
        expect(await items()).toBe(1);
        expect(await sut.check(Q, last.id, null)).toEqual({ kind: 'not_found' });
        expect(await sut.check(Q, last.id, 3)).toEqual({ kind: 'lease_lost', current: null });
        expect(await drain(main)).toEqual(['next']);
      });

      it('judges each ack of a batch alone and commits every accepted one', async () => {
        await enqueue(fixed(main, 1), fixed(dev, 2, { retryAttempts: 1 }), fixed({ c: 3 }, 3));
        const [a, b, c] = [await claim(main), await claim(dev), await claim({ c: 3 })];
        const results = await sut.settle(
          Q,
          [
            { id: a.id, passed: true, attempt: 1 },
            { id: 'unknown', passed: true, attempt: null },
            { id: b.id, passed: false, attempt: null },
            { id: c.id, passed: true, attempt: 7 },
            { id: a.id, passed: true, attempt: 1 },
          ],
          T0,
        );
        expect(results).toEqual([
          { item: a, outcome: 'acked' },
          { kind: 'not_found' },
          { item: b, outcome: 'front' },
          { kind: 'lease_lost', current: 1 },
          // Acked earlier in this batch: the item is gone.
          { kind: 'not_found' },
        ]);
        expect(await sut.check(Q, c.id, 1)).toMatchObject({ kind: 'ok' });
        expect(await items()).toBe(2);
      });

      it('counts the items processing per channel, over every queue', async () => {
        await sut.createQueue('other', -1, T0);
        await enqueue(fixed(main, 1), fixed(main, 2), fixed(main, 3), fixed(dev, 4));
        await sut.enqueue('other', [fixed(main, 5)]);
        await claim(main);
        await claim(main);
        await claim(dev);
        await sut.claimHead('other', key(main), T0);
        const counts = (await sut.processingCounts()).map((c) => [c.queue, c.key, c.processing]).sort();
        expect(counts).toEqual([[Q, key(dev), 1], [Q, key(main), 2], ['other', key(main), 1]].sort());
      });

      it('removes every passed item of a batch in one settle, and only those', async () => {
        const channels = [main, dev, { c: 3 }, { c: 4 }];
        await enqueue(...channels.map((tags, n) => fixed(tags, n)));
        const got = [];
        for (const tags of channels) got.push(await claim(tags));
        const results = await sut.settle(Q, [got[2], got[0], got[3]].map((g) => ({ id: g.id, passed: true, attempt: 1 })), T0);
        expect(results).toEqual([got[2], got[0], got[3]].map((g) => ({ item: g, outcome: 'acked' })));
        expect(await items()).toBe(1);
        for (const g of [got[0], got[2], got[3]]) expect(await sut.check(Q, g.id, null)).toEqual({ kind: 'not_found' });
        expect(await sut.check(Q, got[1].id, 1)).toEqual({ kind: 'ok', item: got[1] });
      });

      it('settles one delivery once under concurrent acks', async () => {
        await enqueue(item(main, 1));
        const got = await claim(main);
        const results = await Promise.all(Array.from({ length: 5 }, () => sut.settle(Q, [{ id: got.id, passed: true, attempt: 1 }], T0)));
        expect(results.flat().filter((r) => 'outcome' in r)).toHaveLength(1);
        expect(await items()).toBe(0);
      });
    });

    describeLeasesAndAckBatches(() => sut, Q);
    describeLargeChannels(() => sut, Q);
    describeInspectAndCancel(() => sut, Q);
    describeScheduleAndPriority(() => sut, Q);

    describe('expireLease', () => {
      it('expires a delivery only once its lease ran out (at expiresAt exactly) and only for its attempt', async () => {
        await enqueue(fixed(main, 'slow', { timeoutMs: 1_000, retryAttempts: 1 }), fixed(main, 'next'));
        const got = await claim(main);
        expect(await sut.expireLease(got.id, 1, T0 + 999)).toBeNull();
        expect(await sut.expireLease(got.id, 2, T0 + 5_000)).toBeNull();
        expect(await sut.check(Q, got.id, 1)).toMatchObject({ kind: 'ok' });
        const expired = await sut.expireLease(got.id, 1, T0 + 1_000);
        expect(expired).toEqual({ item: { ...got, lastError: 'lease expired' }, outcome: 'front' });
        expect(await sut.expireLease(got.id, 1, T0 + 1_000)).toBeNull();
        expect(await sut.check(Q, got.id, 1)).toEqual({ kind: 'lease_lost', current: null });
        expect(await claim(main)).toMatchObject({ id: got.id, attempt: 2 });
        expect(await sut.expireLease('unknown', 1, T0 + 10_000)).toBeNull();
      });

      it('dead-letters an expired delivery with no retries left, with reason "lease expired"', async () => {
        await enqueue(item(main, 'slow', { timeoutMs: 1_000 }));
        const got = await claim(main);
        expect(await sut.expireLease(got.id, 1, T0 + 2_000)).toEqual({ item: { ...got, lastError: 'lease expired' }, outcome: 'dead' });
        expect(await sut.listDead(Q, null, 10)).toEqual([expect.objectContaining({ id: got.id, attempt: 1, reason: 'lease expired', deadAt: T0 + 2_000 })]);
        expect(await sut.loadLeases()).toEqual([]);
      });

      it('does not expire an acked item', async () => {
        await enqueue(item(main, 1, { timeoutMs: 1_000 }));
        const got = await claim(main);
        await pass(got);
        expect(await sut.expireLease(got.id, 1, T0 + 5_000)).toBeNull();
      });
    });

    describe('giveBack', () => {
      it('puts an undelivered item back first in line with its attempt uncounted', async () => {
        await enqueue(fixed(main, 'first', { retryAttempts: 0 }), fixed(main, 'second'));
        const got = await claim(main);
        expect(await sut.giveBack(Q, got.id, 1)).toEqual({ item: got, outcome: 'given_back' });
        expect(await sut.loadLeases()).toEqual([]);
        expect(await items()).toBe(2);
        const again = await claim(main);
        expect(again).toMatchObject({ id: got.id, attempt: 1 });
        // Still the first delivery: with RetryAttempts 0 a failure now is final.
        expect((await fail(again)).outcome).toBe('dead');
      });

      it('gives back nothing for a delivery that is no longer current', async () => {
        await enqueue(item(main, 1, { retryAttempts: 1 }));
        const got = await claim(main);
        expect(await sut.giveBack(Q, got.id, 2)).toBeNull();
        expect(await sut.giveBack('other', got.id, 1)).toBeNull();
        await fail(got);
        expect(await sut.giveBack(Q, got.id, 1)).toBeNull();
        expect(await sut.giveBack(Q, 'unknown', 1)).toBeNull();
      });
    });

    describe('dead letters', () => {
      const kill = async (tags: Tags, data: unknown) => {
        await enqueue(fixed(tags, data));
        const got = await claim(tags);
        await fail(got);
        return got;
      };

      it('lists dead letters by arrival, in pages after a seq', async () => {
        const a = await kill(main, 'a');
        const b = await kill(dev, 'b');
        const c = await kill(main, 'c');
        expect((await sut.listDead(Q, null, 10)).map((d) => d.id)).toEqual([a.id, b.id, c.id]);
        const page = (await sut.listDead(Q, null, 2));
        expect(page.map((d) => d.id)).toEqual([a.id, b.id]);
        expect((await sut.listDead(Q, page[1].seq, 2)).map((d) => d.id)).toEqual([c.id]);
        expect(await sut.listDead('other', null, 10)).toEqual([]);
      });

      it('requeues a dead letter to the back of its channel, same id, attempts reset', async () => {
        const dead = await kill(main, 'dead');
        await enqueue(fixed(main, 'waiting'));
        const requeued = await sut.requeueDead(Q, dead.id);
        expect(requeued).toMatchObject({ id: dead.id, key: key(main), attempt: 0 });
        expect(await sut.listDead(Q, null, 10)).toEqual([]);
        expect(await items()).toBe(2);
        expect(await claim(main)).toMatchObject({ data: '"waiting"' });
        expect(await claim(main)).toMatchObject({ id: dead.id, attempt: 1 });
      });

      it('requeues nothing for unknown ids, live items or another queue, and respects MaxItems', async () => {
        const dead = await kill(main, 'dead');
        const [live] = await enqueue(item(dev, 'live'));
        expect(await sut.requeueDead(Q, 'unknown')).toBeNull();
        expect(await sut.requeueDead(Q, live.id)).toBeNull();
        await sut.createQueue('other', -1, T0);
        expect(await sut.requeueDead('other', dead.id)).toBeNull();
        await sut.updateQueue(Q, { maxItems: 1 });
        await expect(sut.requeueDead(Q, dead.id)).rejects.toMatchObject({ code: 'QUEUE_FULL' });
        expect(await sut.listDead(Q, null, 10)).toHaveLength(1);
      });

      it('deletes a dead letter once, and never a live item', async () => {
        const dead = await kill(main, 'dead');
        const [live] = await enqueue(item(dev, 'live'));
        expect(await sut.deleteDead('other', dead.id)).toBe(false);
        expect(await sut.deleteDead(Q, live.id)).toBe(false);
        expect(await sut.deleteDead(Q, dead.id)).toBe(true);
        expect(await sut.deleteDead(Q, dead.id)).toBe(false);
        expect(await sut.listDead(Q, null, 10)).toEqual([]);
        expect(await drain(dev)).toEqual(['live']);
      });
    });

    describe('deleteChannel', () => {
      it('drops the waiting and processing items of one channel and returns the processing ones', async () => {
        await enqueue(fixed(main, 1), fixed(main, 2), fixed(dev, 3));
        const running = await claim(main);
        const returned = await sut.deleteChannel(Q, key(main));
        expect(returned).toEqual([running]);
        expect(await items()).toBe(1);
        expect(await headSeq(Q, key(main))).toBeNull();
        expect(await sut.check(Q, running.id, null)).toEqual({ kind: 'not_found' });
        expect(await sut.loadChannels()).toEqual([{ queue: Q, key: key(dev), waiting: 1, processing: 0, headSeq: expect.any(Number), headPriority: 0, headDueAt: null }]);
        expect(await sut.deleteChannel(Q, key({ none: 1 }))).toEqual([]);
        await expect(sut.deleteChannel('nope', key(main))).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' });
      });
    });

    describe('channel and lease reads', () => {
      it('loads every channel with waiting or processing items and every lease', async () => {
        await sut.createQueue('other', -1, T0);
        await enqueue(fixed(main, 1, { timeoutMs: 1_000 }), fixed(main, 2), fixed(dev, 3));
        await sut.enqueue('other', [item(main, 4, { timeoutMs: 2_000 })]);
        const a = await claim(main);
        const b = await sut.claimHead('other', key(main), T0 + 1);
        await fail(await claim(dev));
        const channels = (await sut.loadChannels()).sort((x, y) => (x.queue + x.key < y.queue + y.key ? -1 : 1));
        expect(channels).toEqual([
          { queue: Q, key: key(main), waiting: 1, processing: 1, headSeq: await headSeq(Q, key(main)), headPriority: 0, headDueAt: null },
          { queue: 'other', key: key(main), waiting: 0, processing: 1, headSeq: null, headPriority: 0, headDueAt: null },
        ]);
        expect((await sut.loadLeases()).sort((x, y) => x.expiresAt - y.expiresAt)).toEqual([
          { id: a.id, attempt: 1, expiresAt: T0 + 1_000 },
          { id: b!.id, attempt: 1, expiresAt: T0 + 1 + 2_000 },
        ]);
      });

      it('reads one channel: its counts and head, and null once it holds no waiting or processing item', async () => {
        await enqueue(fixed(main, 1), fixed(main, 2), fixed(dev, 3));
        const first = await claim(main);
        const state = await channelState(Q, key(main));
        expect(state).toEqual({ queue: Q, key: key(main), waiting: 1, processing: 1, headSeq: expect.any(Number), headPriority: 0, headDueAt: null });
        expect(state!.headSeq).toBeGreaterThan(first.seq);
        const second = await claim(main);
        expect(await channelState(Q, key(main))).toEqual({ queue: Q, key: key(main), waiting: 0, processing: 2, headSeq: null, headPriority: 0, headDueAt: null });
        await pass(first);
        await fail(second);
        // Acked and dead items belong to no channel.
        expect(await channelState(Q, key(main))).toBeNull();
        expect(await channelState(Q, key({ none: 1 }))).toBeNull();
        expect(await channelState('other', key(dev))).toBeNull();
      });

      it('reads several channels of a queue in one call, leaving out those that hold nothing', async () => {
        await enqueue(fixed(main, 1), fixed(main, 2), fixed(dev, 3));
        const claimed = await claim(dev);
        const states = await sut.channelStates(Q, [key(main), key(dev), key({ none: 1 })]);
        expect([...states].sort((a, b) => a.key.localeCompare(b.key))).toEqual(
          [
            { queue: Q, key: key(main), waiting: 2, processing: 0, headSeq: expect.any(Number), headPriority: 0, headDueAt: null },
            { queue: Q, key: key(dev), waiting: 0, processing: 1, headSeq: null, headPriority: 0, headDueAt: null },
          ].sort((a, b) => a.key.localeCompare(b.key)),
        );
        expect(claimed.key).toBe(key(dev));
        expect(await sut.channelStates(Q, [])).toEqual([]);
        expect(await sut.channelStates('other', [key(main)])).toEqual([]);
      });

      it("reads the heads of several channels of a queue in one call, leaving out those with no waiting item", async () => {
        await enqueue(fixed(main, 1), fixed(main, 2), fixed(dev, 3));
        await claim(dev);
        const heads = await sut.channelHeads(Q, [key(main), key(dev), key({ none: 1 })], 10);
        expect([...heads.keys()]).toEqual([key(main)]);
        expect(heads.get(key(main))).toEqual({ head: { seq: await headSeq(Q, key(main)), priority: 0, dueAt: null }, waiting: 2 });
        expect(await sut.channelHeads(Q, [], 10)).toEqual(new Map());
        expect(await sut.channelHeads('other', [key(main)], 10)).toEqual(new Map());
        await claim(main);
        const next = (await sut.channelStates(Q, [key(main)]))[0];
        expect((await sut.channelHeads(Q, [key(main)], 10)).get(key(main))).toEqual({ head: expect.objectContaining({ seq: next.headSeq }), waiting: 1 });
        // Waiting items are counted up to the cap asked for, not beyond; a cap of 0 counts nothing.
        await enqueue(...Array.from({ length: 15 }, (_, i) => fixed(dev, 10 + i)));
        expect((await sut.channelHeads(Q, [key(dev)], 10)).get(key(dev))?.waiting).toBe(10);
        expect((await sut.channelHeads(Q, [key(dev)], 0)).get(key(dev))).toEqual({ head: expect.objectContaining({ priority: 0 }), waiting: 0 });
      });

      it('tells whether a queue exists', async () => {
        expect(await sut.hasQueue(Q)).toBe(true);
        expect(await sut.hasQueue('nope')).toBe(false);
      });

      it('loads the channels of one queue only', async () => {
        await sut.createQueue('other', -1, T0);
        await enqueue(fixed(main, 1), fixed(main, 2), fixed(dev, 3));
        await sut.enqueue('other', [fixed(main, 4)]);
        await claim(main);
        const mine = (await sut.loadChannels(Q)).sort((x, y) => (x.key < y.key ? -1 : 1));
        expect(mine).toEqual([
          { queue: Q, key: key(dev), waiting: 1, processing: 0, headSeq: await headSeq(Q, key(dev)), headPriority: 0, headDueAt: null },
          { queue: Q, key: key(main), waiting: 1, processing: 1, headSeq: await headSeq(Q, key(main)), headPriority: 0, headDueAt: null },
        ]);
        expect(await sut.loadChannels('other')).toEqual([{ queue: 'other', key: key(main), waiting: 1, processing: 0, headSeq: expect.any(Number), headPriority: 0, headDueAt: null }]);
        expect(await sut.loadChannels('nope')).toEqual([]);
      });

      it('loads at most `limit` leases that ran out by `dueBy`, the earliest first', async () => {
        const lease = (x: StoredItem) => ({ id: x.id, attempt: x.attempt, expiresAt: x.expiresAt });
        await enqueue(fixed(main, 1, { timeoutMs: 3_000 }), fixed(dev, 2, { timeoutMs: 1_000 }), fixed({ c: 1 }, 3, { timeoutMs: 2_000 }));
        await enqueue(fixed({ c: 2 }, 4, { timeoutMs: 10_000 }));
        const [a, b, c] = [await claim(main), await claim(dev), await claim({ c: 1 }), await claim({ c: 2 })];
        expect(await sut.loadLeases({ dueBy: T0 + 999, limit: 10 })).toEqual([]);
        expect(await sut.loadLeases({ dueBy: T0 + 3_000, limit: 10 })).toEqual([b, c, a].map(lease));
        expect(await sut.loadLeases({ dueBy: T0 + 3_000, limit: 2 })).toEqual([b, c].map(lease));
        await pass(b);
        expect(await sut.loadLeases({ dueBy: T0 + 2_000, limit: 10 })).toEqual([lease(c)]);
        expect(await sut.loadLeases()).toHaveLength(3);
      });
    });

    describe('pause', () => {
      it('pauses and resumes a queue, keeping MaxItems and items; an absent field keeps its value', async () => {
        await enqueue(fixed(main, 1));
        expect(await sut.pausedQueues()).toEqual([]);
        expect(await sut.updateQueue(Q, { paused: true })).toEqual({ name: Q, maxItems: -1, items: 1, paused: true });
        expect(await sut.getQueue(Q)).toEqual({ name: Q, maxItems: -1, items: 1, paused: true });
        expect(await sut.updateQueue(Q, { maxItems: 5 })).toMatchObject({ maxItems: 5, paused: true });
        await sut.createQueue('other', -1, T0);
        expect((await sut.listQueues(null, 10)).map((x) => [x.name, x.paused])).toEqual([[Q, true], ['other', false]]);
        expect(await sut.pausedQueues()).toEqual([Q]);
        expect(await sut.pausedQueues(Q)).toEqual([Q]);
        expect(await sut.pausedQueues('other')).toEqual([]);
        expect(await sut.updateQueue(Q, { paused: false })).toEqual({ name: Q, maxItems: 5, items: 1, paused: false });
        expect(await sut.pausedQueues()).toEqual([]);
        await expect(sut.updateQueue('nope', { paused: true })).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' });
      });

      it('still accepts enqueues, heartbeats and acks while paused', async () => {
        await enqueue(fixed(main, 1), fixed(main, 2));
        const got = await claim(main);
        await sut.updateQueue(Q, { paused: true });
        expect(await sut.enqueue(Q, [fixed(dev, 3)])).toHaveLength(1);
        expect(await sut.renew(Q, got.id, 1, T0 + 10)).toMatchObject({ kind: 'ok' });
        expect(await pass(got)).toMatchObject({ outcome: 'acked' });
        expect(await items()).toBe(2);
      });
    });

    describe('failure reasons (LastError)', () => {
      const failWith = async (got: StoredItem, error: string | null) =>
        settled((await sut.settle(Q, [{ id: got.id, passed: false, attempt: got.attempt, error }], T0))[0]);

      it("keeps a failed ack's Error on the item that waits again, and the last one on its dead letter", async () => {
        await enqueue(fixed(main, 1), fixed(dev, 2, { retryPosition: 'back', retryAttempts: 1 }));
        expect((await claim(main)).lastError).toBeNull();
        expect(await failWith(await claim(dev), 'first dev')).toMatchObject({ outcome: 'back', item: { lastError: 'first dev' } });
        const again = await claim(dev);
        expect(again).toMatchObject({ attempt: 2, lastError: 'first dev' });
        expect(await failWith(again, 'second dev')).toMatchObject({ outcome: 'dead', item: { lastError: 'second dev' } });
        expect(await sut.listDead(Q, null, 10)).toEqual([expect.objectContaining({ data: '2', reason: 'failed', lastError: 'second dev' })]);
      });

      it('writes each failure reason of an ack batch to its own item; an ack without Error leaves null', async () => {
        await enqueue(fixed(main, 'a'), fixed(dev, 'b'), fixed({ c: 1 }, 'c'));
        const [a, b, c] = [await claim(main), await claim(dev), await claim({ c: 1 })];
        const results = await sut.settle(Q, [
          { id: a.id, passed: false, attempt: 1, error: 'reason a' },
          { id: b.id, passed: false, attempt: 1, error: 'ünïcode \n reason b' },
          { id: c.id, passed: false, attempt: 1 },
        ], T0);
        expect(results.map((r) => 'item' in r && r.item.lastError)).toEqual(['reason a', 'ünïcode \n reason b', null]);
        expect((await sut.listDead(Q, null, 10)).map((d) => [d.data, d.lastError])).toEqual([['"a"', 'reason a'], ['"b"', 'ünïcode \n reason b'], ['"c"', null]]);
      });

      it('sets "lease expired" when a lease runs out, replacing an earlier Error', async () => {
        await enqueue(fixed(main, 1, { retryAttempts: 2, timeoutMs: 1_000 }));
        await failWith(await claim(main), 'crashed');
        const got = await claim(main, T0 + 10);
        expect(got.lastError).toBe('crashed');
        expect(await sut.expireLease(got.id, 2, T0 + 1_010)).toMatchObject({ outcome: 'front', item: { lastError: 'lease expired' } });
        expect((await claim(main, T0 + 2_000)).lastError).toBe('lease expired');
      });
    });

    if (durable) {
      describe('across close and reopen', () => {
        it('keeps queues, items in their place, leases, attempts and dead letters', async () => {
          await sut.createQueue('small', 3, T0);
          await enqueue(fixed(main, 1, { retryAttempts: 2, timeoutMs: 1_000 }), fixed(main, 2), item(main, 3), fixed(dev, 'd'), fixed({ c: 'x' }, 'x'));
          const running = await claim(main);
          await fail(await claim({ c: 'x' }));
          const channelsBefore = (await sut.loadChannels());
          sut = await reopen(fx);
          expect(await sut.getQueue(Q)).toEqual({ name: Q, maxItems: -1, items: 4, paused: false });
          expect(await sut.getQueue('small')).toEqual({ name: 'small', maxItems: 3, items: 0, paused: false });
          expect(await sut.loadChannels()).toEqual(channelsBefore);
          expect(await sut.loadLeases()).toEqual([{ id: running.id, attempt: 1, expiresAt: T0 + 1_000 }]);
          expect(await sut.listDead(Q, null, 10)).toEqual([expect.objectContaining({ data: '"x"', attempt: 1 })]);
          // The processing item is still that delivery: it can be checked, and it fails back to its place.
          expect(await sut.check(Q, running.id, 1)).toMatchObject({ kind: 'ok' });
          expect((await fail(running)).outcome).toBe('front');
          // The updateable tail still collapses; a new item after reopen goes last.
          expect((await enqueue(item(main, '3b')))[0].collapsed).toBe(true);
          await enqueue(fixed(dev, 'd2'));
          expect(await claim(main)).toMatchObject({ id: running.id, attempt: 2 });
          expect(await drain(main)).toEqual([2, '3b']);
          expect(await drain(dev)).toEqual(['d', 'd2']);
        });

        it('orders items enqueued after reopen behind older ones, even when the newest item was gone before', async () => {
          await enqueue(fixed(main, 1), fixed(main, 2), fixed(dev, 'last'));
          const last = await claim(dev);
          await pass(last);
          sut = await reopen(fx);
          await enqueue(fixed(main, 3), fixed(dev, 'new'));
          expect((await headSeq(Q, key(main)))!).toBeLessThan((await headSeq(Q, key(dev)))!);
          expect(await drain(main)).toEqual([1, 2, 3]);
          // A back retry after reopen also goes last.
          await enqueue(fixed({ c: 1 }, 'r', { retryAttempts: 1, retryPosition: 'back' }), fixed({ c: 1 }, 's'));
          sut = await reopen(fx);
          await fail(await claim({ c: 1 }));
          expect(await drain({ c: 1 })).toEqual(['s', 'r']);
        });

        it('keeps a renewed lease, an expiry and a requeue across reopen', async () => {
          await enqueue(fixed(main, 'renewed', { timeoutMs: 1_000 }), fixed(dev, 'dead'));
          const got = await claim(main);
          await sut.renew(Q, got.id, 1, T0 + 500);
          const dead = await claim(dev);
          await fail(dead);
          await sut.requeueDead(Q, dead.id);
          sut = await reopen(fx);
          expect(await sut.loadLeases()).toEqual([{ id: got.id, attempt: 1, expiresAt: T0 + 1_500 }]);
          expect(await sut.expireLease(got.id, 1, T0 + 1_499)).toBeNull();
          expect(await sut.expireLease(got.id, 1, T0 + 1_500)).toMatchObject({ outcome: 'dead' });
          sut = await reopen(fx);
          expect(await sut.listDead(Q, null, 10)).toEqual([expect.objectContaining({ id: got.id, reason: 'lease expired' })]);
          expect(await claim(dev)).toMatchObject({ id: dead.id, attempt: 1 });
        });

        it('keeps a paused queue paused, and failure reasons, across close and reopen', async () => {
          await enqueue(fixed(main, 1, { retryAttempts: 1 }));
          const got = await claim(main);
          await sut.settle(Q, [{ id: got.id, passed: false, attempt: 1, error: 'kept' }], T0);
          await sut.updateQueue(Q, { paused: true });
          sut = await reopen(fx);
          expect(await sut.getQueue(Q)).toMatchObject({ paused: true });
          expect(await sut.pausedQueues()).toEqual([Q]);
          expect((await claim(main)).lastError).toBe('kept');
        });
      });
    }
  });
}

async function reopen(fx: Fixture<WillowStore>): Promise<WillowStore> {
  if (!fx.reopen) throw new Error('a durable fixture must offer reopen()');
  return fx.reopen();
}
