import type { RetryPosition } from '../willow.port';
import type { FailureOutcome } from './item';
import { decideFailure } from './retry-policy';

describe('retry policy', () => {
  describe(decideFailure.name, () => {
    type Row = [attempt: number, retryAttempts: number, updateable: boolean, position: RetryPosition, newerWaiting: boolean, outcome: FailureOutcome];
    // DESIGN §7.4: `attempt` counts deliveries made; after RetryAttempts re-deliveries the item is a dead letter.
    it.each<Row>([
      // RetryAttempts 0 (the default): the first failure is final, whatever else holds.
      [1, 0, false, 'front', false, 'dead'],
      [1, 0, true, 'front', true, 'dead'],
      [1, 0, true, 'back', false, 'dead'],
      // RetryAttempts 2: deliveries 1 and 2 may fail and come back, the third failure is final.
      [1, 2, false, 'front', false, 'front'],
      [2, 2, false, 'front', false, 'front'],
      [3, 2, false, 'front', false, 'dead'],
      [1, 2, false, 'back', false, 'back'],
      [2, 2, false, 'back', true, 'back'],
      [3, 2, false, 'back', false, 'dead'],
      // Drop-when-newer applies only to updateable items, and only while retries remain.
      [1, 2, true, 'front', true, 'drop'],
      [1, 2, true, 'back', true, 'drop'],
      [2, 2, true, 'front', false, 'front'],
      [2, 2, true, 'back', false, 'back'],
      [1, 2, false, 'front', true, 'front'],
      [3, 2, true, 'front', true, 'dead'],
      // A requeued dead letter starts again at attempt 0 and fails at delivery 1.
      [1, 1, true, 'front', false, 'front'],
      [2, 1, true, 'front', false, 'dead'],
    ])('attempt %i of RetryAttempts %i (updateable %s, %s, newer waiting %s) → %s', (attempt, retryAttempts, updateable, retryPosition, newerWaiting, outcome) => {
      expect(decideFailure({ attempt, retryAttempts, updateable, retryPosition, newerWaiting })).toBe(outcome);
    });

    it('dead-letters after exactly RetryAttempts re-deliveries for any RetryAttempts', () => {
      for (const retryAttempts of [0, 1, 5, 1_000_000]) {
        const base = { retryAttempts, updateable: false, retryPosition: 'back' as const, newerWaiting: false };
        for (let attempt = Math.max(1, retryAttempts - 2); attempt <= retryAttempts; attempt++) {
          expect(decideFailure({ ...base, attempt })).toBe('back');
        }
        expect(decideFailure({ ...base, attempt: retryAttempts + 1 })).toBe('dead');
      }
    });
  });
});
