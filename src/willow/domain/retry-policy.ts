import type { RetryPosition } from '../willow.port';
import type { FailureOutcome } from './item';

/**
 * DESIGN §7.4. `attempt` is the number of deliveries made so far (1 on the first). After `retryAttempts`
 * re-deliveries the item is a dead letter; otherwise an updateable item whose channel already has a newer waiting
 * item is dropped (it would have been replaced anyway); else it goes back to the front or the back of its channel.
 */
export function decideFailure(item: {
  readonly attempt: number;
  readonly retryAttempts: number;
  readonly updateable: boolean;
  readonly retryPosition: RetryPosition;
  readonly newerWaiting: boolean;
}): FailureOutcome {
  if (item.attempt > item.retryAttempts) return 'dead';
  if (item.updateable && item.newerWaiting) return 'drop';
  return item.retryPosition;
}
