import { canonicalTags, type Tags } from '../../src/common/tags';
import { WAITING } from '../../src/willow/domain/item';
import type { NewItem } from '../../src/willow/willow.port';
import type { Settled, StoredItem, WillowStore } from '../../src/willow/willow.store';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const LEASE_MS = 60_000;
const main = { repo_name: 'willow', branch_name: 'main' };
const dev = { repo_name: 'willow', branch_name: 'dev' };
const key = (tags: Tags) => canonicalTags(tags);

type Opts = Partial<Omit<NewItem, 'tags' | 'data'>> & { dueAt?: number | null };

function entry(tags: Tags, data: unknown, { dueAt = null, ...opts }: Opts = {}) {
  const newItem: NewItem = { tags, data, updateable: false, retryAttempts: 0, retryPosition: 'front', timeoutMs: LEASE_MS, ...opts };
  return { key: key(tags), item: newItem, data: JSON.stringify(data), at: T0, dueAt };
}

/**
 * Delays, retry backoff and priority (DESIGN §7.8), part of the WillowStore conformance suite (run by
 * `describeWillowStore` for every store, on a store holding the empty queue `queue`). A channel's line is ordered by
 * priority, then place; its first item, when not yet due, holds the whole line.
 */
export function describeScheduleAndPriority(store: () => WillowStore, queue: string): void {
  const enqueue = (...items: ReturnType<typeof entry>[]) => store().enqueue(queue, items);
  const claim = (tags: Tags, now = T0) => store().claimHead(queue, key(tags), now);
  const dataOf = (got: StoredItem | null) => (got ? (JSON.parse(got.data) as unknown) : null);
  const state = async (tags: Tags) => (await store().channelStates(queue, [key(tags)]))[0] ?? null;
  const fail = async (got: StoredItem, now: number): Promise<Settled> => {
    const [result] = await store().settle(queue, [{ id: got.id, passed: false, attempt: got.attempt }], now);
    if (!('outcome' in result)) throw new Error(`expected a settled item, got ${JSON.stringify(result)}`);
    return result;
  };

  describe('delays', () => {
    it('keeps a first item that is not yet due, and everything behind it, from being claimed until it is due', async () => {
      await enqueue(entry(main, 'later', { dueAt: T0 + 1_000 }), entry(main, 'now'));
      expect(await claim(main, T0)).toBeNull();
      expect(await claim(main, T0 + 999)).toBeNull();
      expect(await state(main)).toMatchObject({ waiting: 2, headPriority: 0, headDueAt: T0 + 1_000 });
      expect(dataOf(await claim(main, T0 + 1_000))).toBe('later');
      expect(dataOf(await claim(main, T0 + 1_000))).toBe('now');
    });

    it('stores the due time with the item, and counts waiting items not yet due per queue and per channel', async () => {
      const [a] = await enqueue(entry(main, 1, { dueAt: T0 + 5_000 }), entry(main, 2, { dueAt: T0 + 2_000 }), entry(dev, 3), entry(dev, 4, { dueAt: T0 + 9_000 }));
      expect(await store().inspect(queue, a.id)).toMatchObject({ state: WAITING, position: 0, item: { notBefore: T0 + 5_000 } });
      expect(await store().countScheduled(queue, T0)).toBe(3);
      expect(await store().countScheduled(queue, T0 + 2_000)).toBe(2);
      expect(await store().countScheduled(queue, T0 + 9_000)).toBe(0);
      const scheduled = await store().scheduledOf(queue, [key(main), key(dev)], T0);
      expect(scheduled).toEqual(new Map([[key(main), { scheduled: 2, nextDueAt: T0 + 2_000 }], [key(dev), { scheduled: 1, nextDueAt: T0 + 9_000 }]]));
      expect(await store().scheduledOf(queue, [key(dev)], T0 + 9_000)).toEqual(new Map());
      expect(await store().countScheduled('no such queue', T0)).toBe(0);
    });

    it('resets LastError on a collapse: the new data starts a new history', async () => {
      const [first] = await enqueue(entry(main, 'v1', { updateable: true, retryAttempts: 2 }));
      await fail((await claim(main))!, T0);
      expect((await store().inspect(queue, first.id))?.item.lastError).toBeNull();
      const got = (await claim(main))!;
      await store().settle(queue, [{ id: got.id, passed: false, attempt: got.attempt, error: 'exit 1' }], T0);
      expect((await store().inspect(queue, first.id))?.item).toMatchObject({ lastError: 'exit 1', attempt: 2 });
      await enqueue(entry(main, 'v2', { updateable: true }));
      expect((await store().inspect(queue, first.id))?.item).toMatchObject({ lastError: null, attempt: 0, data: '"v2"' });
    });

    it('keeps the stored due time and place through a collapse, which takes the new data and priority', async () => {
      const [first] = await enqueue(entry(main, 'v1', { updateable: true, dueAt: T0 + 1_000 }));
      const [collapsed] = await enqueue(entry(main, 'v2', { updateable: true, priority: 5, dueAt: T0 + 50_000 }));
      expect(collapsed).toMatchObject({ id: first.id, collapsed: true, priority: 5, reordered: true });
      expect(await store().inspect(queue, first.id)).toMatchObject({ item: { notBefore: T0 + 1_000, priority: 5, data: '"v2"' } });
      expect(await claim(main, T0 + 999)).toBeNull();
      expect(await claim(main, T0 + 1_000)).toMatchObject({ id: first.id, data: '"v2"' });
    });
  });

  describe('retry backoff', () => {
    it('makes a failed item due RetryDelay after the failure (fixed), in its place at the front', async () => {
      const [a] = await enqueue(entry(main, 'a', { retryAttempts: 3, retryDelayMs: 10_000 }), entry(main, 'b'));
      const got = (await claim(main, T0))!;
      expect(got).toMatchObject({ id: a.id, retryDelayMs: 10_000, retryBackoff: 'fixed' });
      expect(await fail(got, T0 + 100)).toMatchObject({ outcome: 'front', item: { notBefore: T0 + 10_100 } });
      expect(await claim(main, T0 + 10_099)).toBeNull();
      expect(await store().countScheduled(queue, T0 + 10_099)).toBe(1);
      const again = (await claim(main, T0 + 10_100))!;
      expect(again).toMatchObject({ id: a.id, attempt: 2 });
      expect(await fail(again, T0 + 20_000)).toMatchObject({ outcome: 'front', item: { notBefore: T0 + 30_000 } });
    });

    it('doubles the delay before each re-delivery (exponential), back in line behind the others', async () => {
      const [a] = await enqueue(entry(main, 'a', { retryAttempts: 5, retryDelayMs: 1_000, retryBackoff: 'exponential', retryPosition: 'back' }));
      const delays: number[] = [];
      let now = T0;
      for (let n = 1; n <= 4; n++) {
        const got = (await claim(main, now))!;
        expect(got).toMatchObject({ id: a.id, attempt: n });
        const result = await fail(got, now);
        expect(result.outcome).toBe('back');
        delays.push(result.item.notBefore! - now);
        expect(await claim(main, result.item.notBefore! - 1)).toBeNull();
        now = result.item.notBefore!;
      }
      expect(delays).toEqual([1_000, 2_000, 4_000, 8_000]);
    });

    it('answers a lease expiry with the same backoff, and clears the due time of a dead letter and of a requeued one', async () => {
      const [a] = await enqueue(entry(main, 'a', { retryAttempts: 1, retryDelayMs: 5_000, timeoutMs: 1_000 }));
      const got = (await claim(main, T0))!;
      expect(await store().expireLease(a.id, got.attempt, T0 + 1_000)).toMatchObject({ outcome: 'front', item: { notBefore: T0 + 6_000 } });
      const again = (await claim(main, T0 + 6_000))!;
      expect((await fail(again, T0 + 6_500)).outcome).toBe('dead');
      const requeued = await store().requeueDead(queue, a.id);
      expect(requeued).toMatchObject({ notBefore: null });
      expect(await claim(main, T0 + 6_500)).toMatchObject({ id: a.id, attempt: 1 });
    });
  });

  describe('priority', () => {
    it('orders a channel by priority, then place; collapse keeps the place among equals; the head follows', async () => {
      const [low, mid1, high, mid2] = await enqueue(
        entry(main, 'low', { priority: -5 }),
        entry(main, 'mid1'),
        entry(main, 'high', { priority: 10 }),
        entry(main, 'mid2', { updateable: true }),
      );
      expect((await state(main))?.headPriority).toBe(10);
      expect((await store().inspect(queue, low.id))?.position).toBe(3);
      expect((await store().inspect(queue, mid1.id))?.position).toBe(1);
      expect((await store().inspect(queue, high.id))?.position).toBe(0);
      // The updateable tail takes priority 10: it goes behind the item already there at 10 (by place).
      expect((await enqueue(entry(main, 'mid2 raised', { updateable: true, priority: 10 })))[0]).toMatchObject({ id: mid2.id, reordered: true });
      expect((await store().inspect(queue, mid2.id))?.position).toBe(1);
      const order = [];
      for (let got = await claim(main); got; got = await claim(main)) order.push(dataOf(got));
      expect(order).toEqual(['high', 'mid2 raised', 'mid1', 'low']);
    });

    it('puts a front retry back at its place within its priority, behind higher ones that came meanwhile', async () => {
      await enqueue(entry(main, 'a', { retryAttempts: 1 }), entry(main, 'b'));
      const got = (await claim(main))!;
      await enqueue(entry(main, 'urgent', { priority: 1 }));
      expect((await fail(got, T0)).outcome).toBe('front');
      const order = [];
      for (let next = await claim(main); next; next = await claim(main)) order.push(dataOf(next));
      expect(order).toEqual(['urgent', 'a', 'b']);
    });

    it('reports each channel head with its priority and due time in every channel read', async () => {
      await enqueue(entry(main, 1, { priority: 3, dueAt: T0 + 7 }), entry(dev, 2, { priority: -2 }));
      const loads = (await store().loadChannels(queue)).sort((x, y) => (x.key < y.key ? -1 : 1));
      expect(loads.map((l) => [l.key, l.headPriority, l.headDueAt])).toEqual([
        [key(dev), -2, null],
        [key(main), 3, T0 + 7],
      ]);
      expect(await state(dev)).toMatchObject({ headPriority: -2, headDueAt: null });
    });
  });
}
