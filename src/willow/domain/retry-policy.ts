export type RetryPosition = 'front' | 'back';

/** What happens to a delivery that failed (ack with Passed=false) or whose lease ran out. */
export type FailureOutcome = 'dead' | 'drop' | 'front' | 'back';

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

/**
 * DESIGN §7.2: a new item collapses into the channel's last waiting item when that item is updateable; otherwise
 * it is appended. A processing item is never a collapse target (only waiting items are passed here).
 */
export function decideEnqueue(lastWaiting: { readonly updateable: boolean } | null): 'collapse' | 'append' {
  return lastWaiting?.updateable ? 'collapse' : 'append';
}

/**
 * DESIGN §7.4: a delivery whose lease ran out by `now` (at `expiresAt` exactly, as the sweep counts it) is lost, even
 * before a sweep has settled it: its heartbeat and ack get LEASE_LOST and must not revive it.
 */
export function leaseRanOut(delivery: { readonly expiresAt: number | null }, now: number): boolean {
  return delivery.expiresAt !== null && delivery.expiresAt <= now;
}
