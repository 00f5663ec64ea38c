import { checkDelivery, leaseRanOut, liveDelivery } from './delivery';
import { CANCELLED, DEAD, PROCESSING, WAITING, type StoredItem } from './item';

const item: StoredItem = {
  seq: 7, id: 'A', queue: 'q', key: 'k', tags: {}, data: '1', updateable: false,
  retryAttempts: 0, retryPosition: 'front', timeoutMs: 1_000, attempt: 2, expiresAt: 5_000, lastError: null,
  priority: 0, notBefore: null, retryDelayMs: 0, retryBackoff: 'fixed',
};

describe(checkDelivery.name, () => {
  it.each([
    ['the current delivery, attempt named', PROCESSING, 2, { kind: 'ok', item }],
    ['the current delivery, attempt not named', PROCESSING, null, { kind: 'ok', item }],
    ['an earlier delivery while a later one runs', PROCESSING, 1, { kind: 'lease_lost', current: 2 }],
    ['a delivery whose item waits again', WAITING, 2, { kind: 'lease_lost', current: null }],
    ['a delivery whose item is a dead letter', DEAD, 2, { kind: 'lease_lost', current: null }],
    ['a waiting item, attempt not named', WAITING, null, { kind: 'not_found' }],
    ['a dead letter, attempt not named', DEAD, null, { kind: 'not_found' }],
    ['the cancelled delivery', CANCELLED, 2, { kind: 'lease_lost', current: null, cancelled: true }],
    ['an earlier delivery of a cancelled item', CANCELLED, 1, { kind: 'lease_lost', current: null }],
    ['a cancelled item, attempt not named', CANCELLED, null, { kind: 'not_found' }],
  ] as const)('%s', (_, state, attempt, expected) => {
    expect(checkDelivery({ item, state }, 'q', attempt)).toEqual(expected);
  });

  it('finds nothing for an unknown id or an item of another queue, attempt named or not', () => {
    for (const attempt of [null, 2]) {
      expect(checkDelivery(undefined, 'q', attempt)).toEqual({ kind: 'not_found' });
      expect(checkDelivery({ item, state: PROCESSING }, 'other', attempt)).toEqual({ kind: 'not_found' });
    }
  });
});

describe(leaseRanOut.name, () => {
  it('counts a lease as run out at its end exactly, not before', () => {
    expect(leaseRanOut(item, 4_999)).toBe(false);
    expect(leaseRanOut(item, 5_000)).toBe(true);
    expect(leaseRanOut({ expiresAt: null }, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe(liveDelivery.name, () => {
  it('loses a current delivery whose lease ran out, and passes every other answer through', () => {
    expect(liveDelivery({ kind: 'ok', item }, 4_999)).toEqual({ kind: 'ok', item });
    expect(liveDelivery({ kind: 'ok', item }, 5_000)).toEqual({ kind: 'lease_lost', current: null });
    expect(liveDelivery({ kind: 'not_found' }, 5_000)).toEqual({ kind: 'not_found' });
    expect(liveDelivery({ kind: 'lease_lost', current: 3 }, 0)).toEqual({ kind: 'lease_lost', current: 3 });
  });
});
