import type { Tags } from '../common/tags';
import type { FailureOutcome } from './domain/retry-policy';
import type { NewItem, RetryPosition } from './willow.port';

export interface QueueRecord {
  readonly name: string;
  readonly maxItems: number;
  /** Waiting + processing items (what MaxItems bounds). */
  readonly items: number;
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
}

export interface EnqueueOutcome {
  readonly id: string;
  readonly collapsed: boolean;
  readonly key: string;
}

/** A processing item that left processing: acked, or failed with the outcome the retry policy chose. */
export interface Settled {
  readonly item: StoredItem;
  readonly outcome: 'acked' | FailureOutcome | 'given_back';
}

export type ItemCheck =
  | { readonly kind: 'ok'; readonly item: StoredItem }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'lease_lost'; readonly current: number | null };

export interface ChannelLoad {
  readonly queue: string;
  readonly key: string;
  readonly waiting: number;
  readonly processing: number;
  readonly headSeq: number | null;
}

/**
 * Durable state of Willow: queues, items with their place in line, leases and dead letters. Each write is one
 * atomic transaction; `now` (epoch ms) comes from the service's clock.
 */
export interface WillowStore {
  createQueue(name: string, maxItems: number, now: number): Promise<QueueRecord>;
  updateQueue(name: string, maxItems: number): Promise<QueueRecord>;
  /** Deletes the queue with its items and dead letters; returns the items that were processing. */
  deleteQueue(name: string): Promise<StoredItem[]>;
  getQueue(name: string): QueueRecord | null;
  listQueues(afterName: string | null, limit: number): QueueRecord[];

  /** Enqueues in order with collapse, all-or-nothing; QUEUE_NOT_FOUND, QUEUE_FULL. `data` is the item's Data as
   * JSON text (what is stored and handed out). */
  enqueue(queue: string, items: ReadonlyArray<{ readonly key: string; readonly item: NewItem; readonly data: string }>): Promise<EnqueueOutcome[]>;
  /** Moves the first waiting item of a channel to processing (attempt + 1, lease from `now`); null if none waits. */
  claimHead(queue: string, key: string, now: number): Promise<StoredItem | null>;
  /** Checks that `id` is processing in `queue` at `attempt` (when given). */
  check(queue: string, id: string, attempt: number | null): ItemCheck;
  /** Extends a processing item's lease to `now + timeout`. */
  renew(queue: string, id: string, attempt: number | null, now: number): Promise<ItemCheck>;
  /** Acks a batch: each judged alone, all accepted ones committed together. */
  settle(queue: string, acks: ReadonlyArray<{ readonly id: string; readonly passed: boolean; readonly attempt: number | null }>, now: number): Promise<Array<Settled | Exclude<ItemCheck, { kind: 'ok' }>>>;
  /** Puts an undelivered item back first in line with its attempt uncounted; null if it is no longer that delivery. */
  giveBack(queue: string, id: string, attempt: number): Promise<Settled | null>;
  /** Fails the delivery `attempt` of `id` if its lease ran out by `now`; null otherwise. */
  expireLease(id: string, attempt: number, now: number): Promise<Settled | null>;
  /** Drops a channel's waiting and processing items; returns the processing ones. */
  deleteChannel(queue: string, key: string): Promise<StoredItem[]>;
  listDead(queue: string, afterSeq: number | null, limit: number): Array<StoredItem & { readonly reason: string; readonly deadAt: number }>;
  requeueDead(queue: string, id: string): Promise<StoredItem | null>;
  deleteDead(queue: string, id: string): Promise<boolean>;

  /** Sequence of the first waiting item of a channel, or null. */
  channelHead(queue: string, key: string): number | null;
  /** Every channel with waiting or processing items (start-up). */
  loadChannels(): ChannelLoad[];
  /** Every processing item's lease (start-up). */
  loadLeases(): Array<{ readonly id: string; readonly attempt: number; readonly expiresAt: number }>;
}

export const WILLOW_STORE = Symbol('WillowStore');
