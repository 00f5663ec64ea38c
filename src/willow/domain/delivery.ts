import { CANCELLED, PROCESSING, type ItemAt, type ItemCheck } from './item';

/**
 * DESIGN §7.4, fencing: `ok` only while the item is processing in `queue` at delivery `attempt` (when given). Otherwise,
 * with an attempt, LEASE_LOST (naming the current delivery when one runs, or saying that this one was cancelled);
 * without one, ITEM_NOT_FOUND.
 */
export function checkDelivery(found: ItemAt | undefined, queue: string, attempt: number | null): ItemCheck {
  if (!found || found.item.queue !== queue) return { kind: 'not_found' };
  const processing = found.state === PROCESSING;
  if (processing && (attempt === null || attempt === found.item.attempt)) return { kind: 'ok', item: found.item };
  if (attempt === null) return { kind: 'not_found' };
  // DESIGN §7.8: the holder of a cancelled delivery learns that it was cancelled.
  if (found.state === CANCELLED && attempt === found.item.attempt) return { kind: 'lease_lost', current: null, cancelled: true };
  return { kind: 'lease_lost', current: processing ? found.item.attempt : null };
}

/**
 * DESIGN §7.4: a delivery whose lease ran out by `now` (at `expiresAt` exactly, as the sweep counts it) is lost, even
 * before a sweep has settled it: its heartbeat and ack get LEASE_LOST and must not revive it.
 */
export function leaseRanOut(delivery: { readonly expiresAt: number | null }, now: number): boolean {
  return delivery.expiresAt !== null && delivery.expiresAt <= now;
}

/** What a heartbeat or ack at `now` may act on: a current delivery whose lease has not run out. */
export function liveDelivery(check: ItemCheck, now: number): ItemCheck {
  return check.kind === 'ok' && leaseRanOut(check.item, now) ? { kind: 'lease_lost', current: null } : check;
}
