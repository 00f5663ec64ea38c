import { canonicalTags, type Tags } from '../../src/common/tags';
import type { NewItem } from '../../src/willow/willow.port';
import type { ItemCheck, Settled, StoredItem, WillowStore } from '../../src/willow/willow.store';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const LEASE_MS = 1_000;
const main = { repo_name: 'willow', branch_name: 'main' };

type AckResult = Settled | Exclude<ItemCheck, { kind: 'ok' }>;

function fixed(tags: Tags, data: unknown, opts: Partial<Omit<NewItem, 'tags' | 'data'>> = {}) {
  const newItem: NewItem = { tags, data, updateable: false, retryAttempts: 1, retryPosition: 'front', timeoutMs: LEASE_MS, ...opts };
  return { key: canonicalTags(tags), item: newItem, data: JSON.stringify(data) };
}

/** What one ack request came to: the outcome or kind of each ack, or the code it was refused with. */
function verdict(result: PromiseSettledResult<AckResult[]>): string[] {
  if (result.status === 'rejected') return [String((result.reason as { code?: unknown }).code ?? result.reason)];
  return result.value.map((r) => ('outcome' in r ? r.outcome : r.kind));
}

/**
 * Lost leases and ack batches, part of the WillowStore conformance suite (run by `describeWillowStore` for every
 * store, on a store holding the empty queue `queue`). Time is the `now` each call passes, so a lease runs out without
 * waiting: a delivery whose lease ran out by `now` is lost even before a sweep settles it.
 */
export function describeLeasesAndAckBatches(store: () => WillowStore, queue: string): void {
  const claim = async (tags: Tags): Promise<StoredItem> => {
    const got = await store().claimHead(queue, canonicalTags(tags), T0);
    if (!got) throw new Error(`expected an item waiting in ${canonicalTags(tags)}`);
    return got;
  };

  describe('a lease that ran out but was not swept yet', () => {
    it('refuses a heartbeat with lease_lost, with or without attempt, and does not revive the lease', async () => {
      await store().enqueue(queue, [fixed(main, 'slow')]);
      const got = await claim(main);
      expect(await store().renew(queue, got.id, 1, T0 + LEASE_MS - 1)).toMatchObject({ kind: 'ok', item: { expiresAt: T0 + 2 * LEASE_MS - 1 } });
      const ranOut = T0 + 2 * LEASE_MS - 1;
      expect(await store().renew(queue, got.id, 1, ranOut)).toEqual({ kind: 'lease_lost', current: null });
      expect(await store().renew(queue, got.id, null, ranOut + 500)).toEqual({ kind: 'lease_lost', current: null });
      expect(await store().loadLeases()).toEqual([{ id: got.id, attempt: 1, expiresAt: ranOut }]);
      expect(await store().expireLease(got.id, 1, ranOut)).toMatchObject({ outcome: 'front' });
    });

    it('refuses an ack with lease_lost and changes nothing; the sweep then settles the delivery once', async () => {
      await store().enqueue(queue, [fixed(main, 'slow'), fixed({ other: 1 }, 'live', { timeoutMs: 60_000 })]);
      const [slow, live] = [await claim(main), await claim({ other: 1 })];
      const results = await store().settle(
        queue,
        [
          { id: slow.id, passed: true, attempt: 1 },
          { id: slow.id, passed: false, attempt: null },
          { id: live.id, passed: true, attempt: 1 },
        ],
        T0 + LEASE_MS,
      );
      expect(results).toEqual([{ kind: 'lease_lost', current: null }, { kind: 'lease_lost', current: null }, { item: live, outcome: 'acked' }]);
      expect(await store().check(queue, slow.id, 1)).toMatchObject({ kind: 'ok', item: { expiresAt: T0 + LEASE_MS } });
      expect(await store().expireLease(slow.id, 1, T0 + LEASE_MS)).toEqual({ item: { ...slow, lastError: 'lease expired' }, outcome: 'front' });
      expect((await store().getQueue(queue))?.items).toBe(1);
    });
  });

  describe('concurrent ack requests', () => {
    it('judges each request alone: bad ones (stale attempt, unknown or unstorable id) never fail good neighbours', async () => {
      const good = 24;
      const stale = 4;
      await store().enqueue(queue, Array.from({ length: good + stale }, (_, i) => fixed({ n: i }, i, { timeoutMs: 60_000 })));
      const got = await Promise.all(Array.from({ length: good + stale }, (_, i) => claim({ n: i })));
      const requests = [
        ...got.slice(0, good).map((g) => [{ id: g.id, passed: true, attempt: 1 }]),
        ...got.slice(good).map((g) => [{ id: g.id, passed: true, attempt: 7 }]),
        [{ id: 'unknown', passed: true, attempt: null }],
        [{ id: `${got[0].id}\u0000`, passed: true, attempt: 1 }],
        [{ id: 'nul\u0000', passed: false, attempt: null }],
      ];
      // Submitted together, so that a store that writes acks in batches puts good and bad ones in one batch.
      const outcomes = (await Promise.allSettled(requests.map((acks) => store().settle(queue, acks, T0)))).map(verdict);
      expect(outcomes.slice(0, good)).toEqual(Array(good).fill(['acked']));
      expect(outcomes.slice(good, good + stale)).toEqual(Array(stale).fill(['lease_lost']));
      expect(outcomes[good + stale]).toEqual(['not_found']);
      // An id no store can hold (a NUL byte; the service never sends one) is not found, or refused on its own.
      for (const nul of outcomes.slice(good + stale + 1)) expect([['not_found'], ['INVALID_INPUT']]).toContainEqual(nul);
      for (const g of got.slice(0, good)) expect(await store().check(queue, g.id, null)).toEqual({ kind: 'not_found' });
      for (const g of got.slice(good)) expect(await store().check(queue, g.id, 1)).toMatchObject({ kind: 'ok' });
      expect((await store().getQueue(queue))?.items).toBe(stale);
    });
  });
}
