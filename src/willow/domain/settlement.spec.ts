import { PROCESSING, WAITING, type ItemAt, type StoredItem } from './item';
import { DEAD_REASON, failingChannels, lastErrorOf, Settlement } from './settlement';

const NOW = 1_000;
const item = (id: string, seq: number, extra: Partial<StoredItem> = {}): StoredItem => ({
  seq, id, queue: 'q', key: 'k', tags: {}, data: '1', updateable: false, retryAttempts: 1,
  retryPosition: 'front', timeoutMs: 500, attempt: 1, expiresAt: NOW + 500, lastError: null,
  priority: 0, notBefore: null, retryDelayMs: 0, retryBackoff: 'fixed', ...extra,
});
const processing = (...items: StoredItem[]): ItemAt[] => items.map((i) => ({ item: i, state: PROCESSING }));
const ack = (id: string, passed: boolean, attempt: number | null = 1, now = NOW) => ({ id, passed, attempt, now });
const ids = (items: readonly StoredItem[]) => items.map((i) => i.id);

describe(Settlement.name, () => {
  it('removes a passed item', () => {
    const sut = new Settlement('q', processing(item('A', 1)), new Map());
    expect(sut.judge(ack('A', true))).toEqual({ item: item('A', 1), outcome: 'acked' });
    expect(ids(sut.removed)).toEqual(['A']);
    expect([...sut.keys]).toEqual(['k']);
  });

  it('sends a failed item back to the front or the back of its channel while retries remain', () => {
    const sut = new Settlement('q', processing(item('A', 1), item('B', 2, { retryPosition: 'back' })), new Map());
    expect(sut.judge(ack('A', false))).toMatchObject({ outcome: 'front' });
    expect(sut.judge(ack('B', false))).toMatchObject({ outcome: 'back' });
    expect([ids(sut.front), ids(sut.back)]).toEqual([['A'], ['B']]);
  });

  it('gives the back retries the places the store drew, in order, in the answers', () => {
    const sut = new Settlement('q', processing(item('A', 1, { retryPosition: 'back' }), item('B', 2)), new Map());
    sut.judge(ack('A', false));
    sut.judge(ack('B', false));
    expect(sut.answers([40]).map((r) => ('item' in r ? [r.item.id, r.item.seq] : r))).toEqual([['A', 40], ['B', 2]]);
  });

  it("keeps a failed ack's Error as the item's lastError, whether it waits again or dies; none given is null", () => {
    const sut = new Settlement('q', processing(item('A', 1, { lastError: 'old' }), item('B', 2, { retryPosition: 'back' }), item('C', 3, { attempt: 2 })), new Map());
    sut.judge({ ...ack('A', false), error: 'exit 1' });
    sut.judge({ ...ack('B', false), error: 'timeout in step 3' });
    sut.judge(ack('C', false, 2));
    expect(sut.front.map((i) => i.lastError)).toEqual(['exit 1']);
    expect(sut.back.map((i) => i.lastError)).toEqual(['timeout in step 3']);
    expect(sut.dead.map((i) => [i.id, i.lastError])).toEqual([['C', null]]);
    expect(sut.answers([9]).map((r) => 'item' in r && r.item.lastError)).toEqual(['exit 1', 'timeout in step 3', null]);
  });

  it('sets lastError "lease expired" when the lease sweep fails a delivery, whatever the ack carried', () => {
    const sut = new Settlement('q', processing(item('A', 1), item('B', 2, { attempt: 2 })), new Map(), 'expiry');
    sut.judge({ ...ack('A', false, 1, NOW + 500), error: 'ignored' });
    sut.judge(ack('B', false, 2, NOW + 500));
    expect([...sut.front, ...sut.dead].map((i) => i.lastError)).toEqual(['lease expired', 'lease expired']);
    expect(lastErrorOf('ack', {})).toBeNull();
    expect(lastErrorOf('ack', { error: 'x' })).toBe('x');
  });

  it('makes a dead letter of a failure after RetryAttempts re-deliveries, with the reason of what failed it', () => {
    const sut = new Settlement('q', processing(item('A', 1, { attempt: 2 })), new Map());
    expect(sut.judge(ack('A', false, 2))).toMatchObject({ outcome: 'dead' });
    expect(ids(sut.dead)).toEqual(['A']);
    expect(DEAD_REASON).toEqual({ ack: 'failed', expiry: 'lease expired' });
  });

  it('drops a failed updateable item when a newer one waits behind it, not when an older one waits before it', () => {
    const updateable = { updateable: true, retryPosition: 'back' as const };
    const sut = new Settlement('q', processing(item('A', 5, updateable)), new Map([['k', 9]]));
    expect(sut.judge(ack('A', false))).toMatchObject({ outcome: 'drop' });
    expect(ids(sut.removed)).toEqual(['A']);
    const older = new Settlement('q', processing(item('A', 5, updateable)), new Map([['k', 3]]));
    expect(older.judge(ack('A', false))).toMatchObject({ outcome: 'back' });
  });

  it('judges each ack as the earlier acks of the batch left the line', () => {
    const updateable = { updateable: true, retryAttempts: 3 };
    const front = new Settlement('q', processing(item('A', 1, updateable), item('B', 2, updateable)), new Map());
    expect([front.judge(ack('A', false)), front.judge(ack('B', false))].map((r) => 'outcome' in r && r.outcome)).toEqual(['front', 'front']);
    const back = { ...updateable, retryPosition: 'back' as const };
    const behind = new Settlement('q', processing(item('A', 1, back), item('B', 2, back)), new Map());
    expect([behind.judge(ack('A', false)), behind.judge(ack('B', false))].map((r) => 'outcome' in r && r.outcome)).toEqual(['back', 'drop']);
  });

  it('fences deliveries by Attempt: an old delivery is LEASE_LOST, an unknown item or another queue is not found', () => {
    const sut = new Settlement('q', processing(item('A', 1, { attempt: 2 })), new Map());
    expect(sut.judge(ack('A', true, 1))).toEqual({ kind: 'lease_lost', current: 2 });
    expect(sut.judge(ack('X', true))).toEqual({ kind: 'not_found' });
    expect(new Settlement('other', processing(item('A', 1)), new Map()).judge(ack('A', true, null))).toEqual({ kind: 'not_found' });
    expect(new Settlement('q', [{ item: item('A', 1), state: WAITING }], new Map()).judge(ack('A', true, null))).toEqual({ kind: 'not_found' });
    expect([...sut.keys]).toEqual([]);
  });

  it('settles one delivery once: a second ack of it in the batch no longer finds it processing', () => {
    const sut = new Settlement('q', processing(item('A', 1)), new Map());
    sut.judge(ack('A', false));
    expect(sut.judge(ack('A', true))).toEqual({ kind: 'lease_lost', current: null });
    expect(sut.judge(ack('A', true, null))).toEqual({ kind: 'not_found' });
    expect([ids(sut.front), ids(sut.removed)]).toEqual([['A'], []]);
  });

  it('refuses an ack whose lease ran out by its time, and an expiry whose lease has not', () => {
    const acking = new Settlement('q', processing(item('A', 1)), new Map());
    expect(acking.judge(ack('A', true, 1, NOW + 500))).toEqual({ kind: 'lease_lost', current: null });
    const expiring = new Settlement('q', processing(item('A', 1)), new Map(), 'expiry');
    expect(expiring.judge(ack('A', false, 1, NOW + 499))).toEqual({ kind: 'lease_lost', current: 1 });
    expect(expiring.judge(ack('A', false, 1, NOW + 500))).toMatchObject({ outcome: 'front' });
  });
});

describe(failingChannels.name, () => {
  it('names, once each, the channels of the items an ack fails', () => {
    const found = processing(item('A', 1), item('B', 2), item('C', 3, { key: 'j' }), item('D', 4, { key: 'i' }));
    expect(failingChannels(found, [ack('A', false), ack('B', false), ack('C', true), ack('D', false), ack('X', false)])).toEqual(['k', 'i']);
  });
});

describe('Settlement: retry backoff', () => {
  it('makes a front or back retry due after its backoff from the failure, and a dead letter due at once', () => {
    const a = item('A', 1, { retryDelayMs: 1_000, retryBackoff: 'exponential', attempt: 3, retryAttempts: 5 });
    const b = item('B', 2, { retryDelayMs: 250, retryPosition: 'back', retryAttempts: 5 });
    const c = item('C', 3, { retryDelayMs: 250, retryAttempts: 0 });
    const sut = new Settlement('q', processing(a, b, c), new Map());
    const results = [sut.judge(ack('A', false, 3)), sut.judge(ack('B', false)), sut.judge(ack('C', false))];
    expect(results.map((r) => ('outcome' in r ? r.outcome : r.kind))).toEqual(['front', 'back', 'dead']);
    expect(sut.front.map((i) => i.notBefore)).toEqual([NOW + 4_000]);
    expect(sut.back.map((i) => i.notBefore)).toEqual([NOW + 250]);
    expect(sut.dead.map((i) => i.id)).toEqual(['C']);
  });
});
