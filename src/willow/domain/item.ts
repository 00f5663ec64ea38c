import type { Tags } from '../../common/tags';
import type { RetryBackoff, RetryPosition } from '../willow.port';

/** Item states, as both stores keep them (SQL statements spell them 0, 1, 2). */
export const WAITING = 0;
export const PROCESSING = 1;
export const DEAD = 2;
/** A processing item that was cancelled: kept (without its place) only so its delivery's holder learns why it lost
 * its lease, until that lease would have run out. Never waiting, processing, dead, listed or counted. */
export const CANCELLED = 3;
export type ItemState = typeof WAITING | typeof PROCESSING | typeof DEAD | typeof CANCELLED;

/** Line order (DESIGN §7.8): the higher priority first, then the earlier place. */
export function inLineOrder(a: Pick<StoredItem, 'priority' | 'seq'>, b: Pick<StoredItem, 'priority' | 'seq'>): number {
  return b.priority - a.priority || a.seq - b.seq;
}

export interface StoredItem {
  readonly seq: number;
  readonly id: string;
  readonly queue: string;
  /** Canonical tag encoding: the channel. */
  readonly key: string;
  readonly tags: Tags;
  /** The JSON text of Data. */
  readonly data: string;
  readonly updateable: boolean;
  readonly retryAttempts: number;
  readonly retryPosition: RetryPosition;
  readonly timeoutMs: number;
  /** Deliveries made. */
  readonly attempt: number;
  readonly expiresAt: number | null;
  /** Why its last delivery failed: the failed ack's Error (null without one), or "lease expired". */
  readonly lastError: string | null;
  /** -100..100, higher first in its channel's line and among channels. */
  readonly priority: number;
  /** Not handed out before this time (epoch ms): a delay, or a retry's backoff. Null: due (DESIGN §7.8). */
  readonly notBefore: number | null;
  readonly retryDelayMs: number;
  readonly retryBackoff: RetryBackoff;
  /** When it was enqueued (epoch ms); null for items stored before this was recorded. Optional only for items
   * built by hand (tests): both stores always set it. */
  readonly enqueuedAt?: number | null;
}

/** A stored item with the state it is in. */
export interface ItemAt {
  readonly item: StoredItem;
  readonly state: number;
}

export interface EnqueueOutcome {
  readonly id: string;
  readonly collapsed: boolean;
  readonly key: string;
  /** The priority the item was written with. */
  readonly priority?: number;
  /** A collapse that changed the item's priority, and so maybe its channel's line order. */
  readonly reordered?: boolean;
}

/** What happens to a delivery that failed (ack with Passed=false) or whose lease ran out. */
export type FailureOutcome = 'dead' | 'drop' | 'front' | 'back';

/** A processing item that left processing: acked, or failed with the outcome the retry policy chose. */
export interface Settled {
  readonly item: StoredItem;
  readonly outcome: 'acked' | FailureOutcome | 'given_back' | 'cancelled';
}

export type ItemCheck =
  | { readonly kind: 'ok'; readonly item: StoredItem }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'lease_lost'; readonly current: number | null; readonly cancelled?: true };

/** The answer to one ack: settled, or why not. */
export type AckResult = Settled | Exclude<ItemCheck, { kind: 'ok' }>;
