import { canonicalTags, type Tags } from '../../src/common/tags';
import { PROCESSING, WAITING } from '../../src/willow/domain/item';
import type { NewItem } from '../../src/willow/willow.port';
import type { StoredItem, WillowStore } from '../../src/willow/willow.store';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const LEASE_MS = 60_000;
const main = { repo_name: 'willow', branch_name: 'main' };
const dev = { repo_name: 'willow', branch_name: 'dev' };
const key = (tags: Tags) => canonicalTags(tags);

function fixed(tags: Tags, data: unknown, at: number, opts: Partial<Omit<NewItem, 'tags' | 'data'>> = {}) {
  const newItem: NewItem = { tags, data, updateable: false, retryAttempts: 0, retryPosition: 'front', timeoutMs: LEASE_MS, ...opts };
  return { key: key(tags), item: newItem, data: JSON.stringify(data), at };
}

/**
 * Inspect, item listing and cancel (DESIGN §7.8), part of the WillowStore conformance suite (run by
 * `describeWillowStore` for every store, on a store holding the empty queue `queue`).
 */
export function describeInspectAndCancel(store: () => WillowStore, queue: string): void {
  const claim = async (tags: Tags): Promise<StoredItem> => {
    const got = await store().claimHead(queue, key(tags), T0);
    if (!got) throw new Error(`expected an item waiting in ${key(tags)}`);
    return got;
  };
  const ids = async (...items: ReturnType<typeof fixed>[]) => (await store().enqueue(queue, items)).map((o) => o.id);
  const state = async (tags: Tags) => (await store().channelStates(queue, [key(tags)]))[0] ?? null;

  describe('inspect', () => {
    it("counts a waiting item's position among its channel's waiting items only, and answers none while it is processing", async () => {
      const [m1, d1, m2, m3] = await ids(fixed(main, 1, T0), fixed(dev, 2, T0 + 1), fixed(main, 3, T0 + 2), fixed(main, 4, T0 + 3));
      expect(await store().inspect(queue, m3)).toMatchObject({ state: WAITING, position: 2, enqueuedAt: T0 + 3, item: { id: m3, attempt: 0, data: '4' } });
      expect((await store().inspect(queue, d1))?.position).toBe(0);
      const got = await claim(main);
      expect(got.id).toBe(m1);
      expect(await store().inspect(queue, m1)).toMatchObject({ state: PROCESSING, position: null, enqueuedAt: T0, item: { attempt: 1, expiresAt: T0 + LEASE_MS } });
      expect((await store().inspect(queue, m2))?.position).toBe(0);
      expect((await store().inspect(queue, m3))?.position).toBe(1);
    });

    it('keeps the enqueue time and id through a collapse, and finds nothing for an acked, dead, unknown or other queue\'s item', async () => {
      const [first] = await ids(fixed(main, 1, T0, { updateable: true }));
      expect(await ids(fixed(main, 2, T0 + 5))).toEqual([first]);
      expect(await store().inspect(queue, first)).toMatchObject({ enqueuedAt: T0, item: { data: '2' } });
      expect(await store().inspect('other', first)).toBeNull();
      expect(await store().inspect(queue, 'it_unknown')).toBeNull();
      const got = await claim(main);
      await store().settle(queue, [{ id: got.id, passed: false, attempt: got.attempt }], T0);
      expect(await store().inspect(queue, first)).toBeNull(); // a dead letter (RetryAttempts 0)
      const [second] = await ids(fixed(dev, 3, T0));
      const next = await claim(dev);
      await store().settle(queue, [{ id: next.id, passed: true, attempt: 1 }], T0);
      expect(await store().inspect(queue, second)).toBeNull();
    });
  });

  describe('listItems', () => {
    it('lists waiting and processing items by arrival across channels, by state, after a place, without Data', async () => {
      const [m1, d1, m2] = await ids(fixed(main, 1, T0), fixed(dev, 2, T0), fixed(main, 3, T0));
      await claim(main);
      const all = await store().listItems(queue, null, null, 10);
      expect(all.map((r) => [r.item.id, r.state, r.item.data])).toEqual([[m1, PROCESSING, ''], [d1, WAITING, ''], [m2, WAITING, '']]);
      expect((await store().listItems(queue, WAITING, null, 10)).map((r) => r.item.id)).toEqual([d1, m2]);
      expect((await store().listItems(queue, PROCESSING, null, 10)).map((r) => r.item.id)).toEqual([m1]);
      expect((await store().listItems(queue, null, all[0].item.seq, 1)).map((r) => r.item.id)).toEqual([d1]);
    });
  });

  describe('cancel', () => {
    it('removes a waiting item: the channel loses it and its head moves to the next one', async () => {
      const [m1, m2] = await ids(fixed(main, 1, T0), fixed(main, 2, T0));
      const before = await state(main);
      expect(await store().cancel(queue, m1, T0)).toMatchObject({ was: WAITING, item: { id: m1, key: key(main) } });
      expect(await store().inspect(queue, m1)).toBeNull();
      expect(await state(main)).toMatchObject({ waiting: 1, processing: 0 });
      expect((await state(main))?.headSeq).not.toBe(before?.headSeq);
      expect((await claim(main)).id).toBe(m2);
      expect(await store().cancel(queue, m1, T0)).toBeNull();
    });

    it("ends a processing item's delivery: that Attempt gets LEASE_LOST \"cancelled\" on check, renew and settle; without it, not found", async () => {
      const [m1] = await ids(fixed(main, 1, T0));
      const got = await claim(main);
      expect(await store().cancel(queue, m1, T0)).toMatchObject({ was: PROCESSING, item: { id: m1, attempt: 1 } });
      expect(await state(main)).toBeNull();
      const lost = { kind: 'lease_lost', current: null, cancelled: true };
      expect(await store().check(queue, m1, got.attempt)).toEqual(lost);
      expect(await store().renew(queue, m1, got.attempt, T0)).toEqual(lost);
      expect(await store().settle(queue, [{ id: m1, passed: true, attempt: got.attempt }], T0)).toEqual([lost]);
      expect(await store().check(queue, m1, null)).toEqual({ kind: 'not_found' });
      expect(await store().check(queue, m1, got.attempt + 1)).toEqual({ kind: 'lease_lost', current: null });
      expect(await store().expireLease(m1, got.attempt, T0 + LEASE_MS)).toBeNull();
      expect(await store().inspect(queue, m1)).toBeNull();
      expect(await store().listItems(queue, null, null, 10)).toEqual([]);
      expect(await store().listDead(queue, null, 10)).toEqual([]);
      expect(await store().cancel(queue, m1, T0)).toBeNull();
    });

    it('keeps a cancel mark only until the lease it ended would have run out', async () => {
      const [m1, m2] = await ids(fixed(main, 1, T0), fixed(dev, 2, T0));
      await claim(main);
      await store().cancel(queue, m1, T0);
      await store().cancel(queue, m2, T0 + LEASE_MS); // any later cancel in the queue purges the marks that ran out
      expect(await store().check(queue, m1, 1)).toEqual({ kind: 'not_found' });
    });

    it('frees a bounded queue\'s room and never cancels a dead letter', async () => {
      await store().updateQueue(queue, { maxItems: 2 });
      const [m1, m2] = await ids(fixed(main, 1, T0), fixed(dev, 2, T0));
      await claim(main);
      await store().cancel(queue, m1, T0);
      expect((await store().getQueue(queue))?.items).toBe(1);
      const got = await claim(dev);
      await store().settle(queue, [{ id: m2, passed: false, attempt: got.attempt }], T0);
      expect(await store().cancel(queue, m2, T0)).toBeNull();
      expect((await store().listDead(queue, null, 10)).map((d) => d.id)).toEqual([m2]);
      await ids(fixed(main, 3, T0), fixed(main, 4, T0));
    });

    it('settles a delivery once when a cancel races its ack', async () => {
      const [m1] = await ids(fixed(main, 1, T0));
      await claim(main);
      const [cancelled, [acked]] = await Promise.all([store().cancel(queue, m1, T0), store().settle(queue, [{ id: m1, passed: true, attempt: 1 }], T0)]);
      expect([cancelled !== null, 'outcome' in acked].filter(Boolean)).toHaveLength(1);
    });
  });
}
