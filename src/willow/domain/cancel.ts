import { PROCESSING, WAITING, type ItemAt, type StoredItem } from './item';

/** What cancelling an item writes: a waiting item is removed; a processing one keeps a mark (`CANCELLED`) so the holder
 * of its delivery gets LEASE_LOST "cancelled"; anything else (unknown, another queue's, dead, already cancelled) is
 * not found. A mark is kept until the lease it ended would have run out (its `expiresAt`); a later cancel in the
 * queue purges it. */
export type CancelDecision =
  | { readonly kind: 'remove'; readonly item: StoredItem; readonly was: typeof WAITING }
  | { readonly kind: 'mark'; readonly item: StoredItem; readonly was: typeof PROCESSING }
  | { readonly kind: 'not_found' };

/** DESIGN §7.8, cancel: any waiting or processing item of `queue`; never a dead letter. */
export function decideCancel(found: ItemAt | undefined, queue: string): CancelDecision {
  if (!found || found.item.queue !== queue) return { kind: 'not_found' };
  if (found.state === WAITING) return { kind: 'remove', item: found.item, was: WAITING };
  if (found.state === PROCESSING) return { kind: 'mark', item: found.item, was: PROCESSING };
  return { kind: 'not_found' };
}
