import { decideCancel } from './cancel';
import { CANCELLED, DEAD, PROCESSING, WAITING, type StoredItem } from './item';
import { LeaseLostError } from './willow.errors';

const item: StoredItem = {
  seq: 7, id: 'A', queue: 'q', key: 'k', tags: {}, data: '1', updateable: false,
  retryAttempts: 0, retryPosition: 'front', timeoutMs: 1_000, attempt: 2, expiresAt: 5_000, lastError: null,
  priority: 0, notBefore: null, retryDelayMs: 0, retryBackoff: 'fixed',
};

describe(decideCancel.name, () => {
  it('removes a waiting item and marks a processing one', () => {
    expect(decideCancel({ item, state: WAITING }, 'q')).toEqual({ kind: 'remove', item, was: WAITING });
    expect(decideCancel({ item, state: PROCESSING }, 'q')).toEqual({ kind: 'mark', item, was: PROCESSING });
  });

  it.each([
    ['an unknown id', undefined],
    ['a dead letter', { item, state: DEAD }],
    ['an item cancelled already', { item, state: CANCELLED }],
    ["another queue's item", { item: { ...item, queue: 'other' }, state: WAITING }],
  ] as const)('finds nothing to cancel for %s', (_, found) => {
    expect(decideCancel(found, 'q')).toEqual({ kind: 'not_found' });
  });
});

describe(LeaseLostError.name, () => {
  it('says that a cancelled delivery was cancelled, and a lost one that its lease ran out', () => {
    expect(new LeaseLostError('A', 2, null, true).message).toMatch(/^Delivery 2 of item A was cancelled/);
    expect(new LeaseLostError('A', 2, null).message).toMatch(/lease ran out/);
  });
});
