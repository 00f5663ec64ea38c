import type { EnqueueInput } from './domain/enqueue-plan';
import type { AckResult, EnqueueOutcome, ItemCheck, PROCESSING, Settled, StoredItem, WAITING } from './domain/item';
import type { Ack } from './domain/settlement';

export type { AckResult, EnqueueOutcome, ItemCheck, Settled, StoredItem } from './domain/item';

export interface QueueRecord {
  readonly name: string;
  readonly maxItems: number;
  /** Waiting + processing items (what MaxItems bounds). */
  readonly items: number;
  /** Hands out nothing while true (DESIGN §7.8). */
  readonly paused: boolean;
}

export interface ChannelLoad {
  readonly queue: string;
  readonly key: string;
  readonly waiting: number;
  readonly processing: number;
  readonly headSeq: number | null;
  /** The first waiting item's priority (0 when none waits). */
  readonly headPriority: number;
  /** When the first waiting item becomes due (epoch ms); null when it is due (or none waits). */
  readonly headDueAt: number | null;
}

/** A channel's first waiting item: its place, priority and due time (null: due). */
export interface ChannelHead {
  readonly seq: number;
  readonly priority: number;
  readonly dueAt: number | null;
}

/** A channel's head with its waiting items counted up to a cap (a channel with more answers the cap). */
export interface HeadLoad {
  readonly head: ChannelHead;
  readonly waiting: number;
}

/** A channel's waiting items that are not yet due (DESIGN §7.8). */
export interface ScheduledCount {
  readonly scheduled: number;
  /** The earliest due time among them (epoch ms). */
  readonly nextDueAt: number;
}

/**
 * A change committed by some instance to a store shared by several (PostgreSQL). The dispatch index of every instance
 * re-reads what changed from the store; nothing in a change is trusted beyond "look again".
 */
export type WillowChange =
  /**
   * These channels of `queue` changed (items added, claimed, settled, deleted). `taken`: no item became waiting in
   * them (items were only claimed, settled or removed), so their heads only moved back: a listener may read them a
   * little later, together (a claim of what it still holds as a head takes the next item, or finds nothing and reads
   * the channel again). `settled` (always with `taken`): only processing items changed (settled, none put back in
   * line), so every waiting line, and each head, is as it was: a listener reads only their counts again.
   */
  | { readonly kind: 'channels'; readonly queue: string; readonly keys: readonly string[]; readonly taken?: boolean; readonly settled?: boolean }
  /** Too many channels of `queue` changed to name: reload all of them. */
  | { readonly kind: 'queue'; readonly queue: string }
  /** `queue` was deleted: its waiters end with QUEUE_DELETED. */
  | { readonly kind: 'queue_deleted'; readonly queue: string }
  /** Changes may have been missed (the listening connection was re-established, or a notification could not be
   * read): reload everything. */
  | { readonly kind: 'resync' };

/** An item as inspected: waiting or processing, with its place among the waiting items of its channel. */
export interface ItemRecord {
  readonly item: StoredItem;
  readonly state: typeof WAITING | typeof PROCESSING;
  /** Waiting items ahead of it in its channel's line; null while processing. */
  readonly position: number | null;
  /** When it was enqueued (epoch ms); null for items stored before this was recorded. */
  readonly enqueuedAt: number | null;
}

export interface LeaseRecord {
  readonly id: string;
  readonly attempt: number;
  readonly expiresAt: number;
}

/**
 * Durable state of Willow: queues, items with their place in line, leases and dead letters. Each write is one
 * atomic transaction; `now` (epoch ms) comes from the service's clock.
 *
 * Two kinds of store: an embedded store serves one process, which keeps its dispatch index in step by applying its
 * own writes (it offers the synchronous `channelHead`). A shared store (several instances on one database) offers
 * `watch` instead: every write, by any instance, is reported, and each instance re-reads the channels that changed.
 * Every claim is atomic in the store, so a stale index can cost a wasted attempt but never a double delivery.
 */
export interface WillowStore {
  createQueue(name: string, maxItems: number, now: number): Promise<QueueRecord>;
  /** Sets what `change` gives and keeps the rest. A shared store announces a change of `paused` as a whole-queue
   * change (`queue`), so every instance reads the queue again. */
  updateQueue(name: string, change: { readonly maxItems?: number; readonly paused?: boolean }): Promise<QueueRecord>;
  /** The names of the paused queues: all of them, or `queue` alone when it is paused. */
  pausedQueues(queue?: string): Promise<string[]>;
  /** Deletes the queue with its items and dead letters; returns the items that were processing. */
  deleteQueue(name: string): Promise<StoredItem[]>;
  getQueue(name: string): Promise<QueueRecord | null>;
  /** Whether the queue exists: what dequeue and ack check, without counting the queue's items. */
  hasQueue(name: string): Promise<boolean>;
  listQueues(afterName: string | null, limit: number): Promise<QueueRecord[]>;

  /** Enqueues in order with collapse, all-or-nothing; QUEUE_NOT_FOUND, QUEUE_FULL. `data` is the item's Data as
   * JSON text (what is stored and handed out). */
  enqueue(queue: string, items: EnqueueInput): Promise<EnqueueOutcome[]>;
  /** Moves the first waiting item of a channel (by priority, then place) to processing (attempt + 1, lease from
   * `now`); null if none waits or it is not yet due at `now` (nothing jumps over it). Atomic across instances: two
   * concurrent claims never return the same item. */
  claimHead(queue: string, key: string, now: number): Promise<StoredItem | null>;
  /** `claimHead` of each key in turn (a key named n times claims up to n items of its channel, in line order), in
   * one write where the store can; answered pairwise. */
  claimHeads(queue: string, keys: readonly string[], now: number): Promise<Array<StoredItem | null>>;
  /** Checks that `id` is processing in `queue` at `attempt` (when given). */
  check(queue: string, id: string, attempt: number | null): Promise<ItemCheck>;
  /** Extends a processing item's lease to `now + timeout`. */
  renew(queue: string, id: string, attempt: number | null, now: number): Promise<ItemCheck>;
  /** Acks a batch: each judged alone, all accepted ones committed together. */
  settle(queue: string, acks: readonly Ack[], now: number): Promise<AckResult[]>;
  /** Puts an undelivered item back first in line with its attempt uncounted; null if it is no longer that delivery. */
  giveBack(queue: string, id: string, attempt: number): Promise<Settled | null>;
  /** Fails the delivery `attempt` of `id` if its lease ran out by `now`; null otherwise. Exactly once: of several
   * concurrent calls (several instances) for one delivery, one settles it and the others get null. */
  expireLease(id: string, attempt: number, now: number): Promise<Settled | null>;
  /** The waiting or processing item `id` of `queue`, with its position counted on the channel's line index (never a
   * scan of the queue); null when there is none (a dead letter or a cancelled item is none). */
  inspect(queue: string, id: string): Promise<ItemRecord | null>;
  /** Waiting and processing items of `queue` (or only those in `state`) after place `afterSeq`, by arrival (seq), at
   * most `limit`; their `data` is not read (''). */
  listItems(queue: string, state: typeof WAITING | typeof PROCESSING | null, afterSeq: number | null, limit: number): Promise<ItemRecord[]>;
  /**
   * Cancels a waiting or processing item (domain `decideCancel`) in one transaction: a waiting one is removed, a
   * processing one keeps a cancel mark (its delivery's heartbeat and ack then get LEASE_LOST "cancelled"); it no
   * longer counts toward MaxItems. Purges the queue's marks whose lease ran out by `now`. Returns the item and the
   * state it was in, or null when there was none to cancel. Exactly once against a settlement or an expiry.
   */
  cancel(queue: string, id: string, now: number): Promise<{ readonly item: StoredItem; readonly was: typeof WAITING | typeof PROCESSING } | null>;
  /** Drops a channel's waiting and processing items; returns the processing ones. */
  deleteChannel(queue: string, key: string): Promise<StoredItem[]>;
  listDead(queue: string, afterSeq: number | null, limit: number): Promise<Array<StoredItem & { readonly reason: string; readonly deadAt: number }>>;
  requeueDead(queue: string, id: string): Promise<StoredItem | null>;
  deleteDead(queue: string, id: string): Promise<boolean>;

  /** Embedded stores only: the first waiting item of a channel (by priority, then place), or null, read
   * synchronously so the index applies it in the same turn as the write it follows. */
  channelHead?(queue: string, key: string): ChannelHead | null;
  /** How many waiting items of `queue` are not yet due at `now` (counted on an index of due times, never a scan of
   * the queue's items). */
  countScheduled(queue: string, now: number): Promise<number>;
  /** How many dead letters `queue` holds (counted on the dead-letter index, never a scan of the queue's items). */
  countDead(queue: string): Promise<number>;
  /** Per channel among `keys` that holds waiting items not yet due at `now`: how many, and the earliest due time. */
  scheduledOf(queue: string, keys: readonly string[], now: number): Promise<Map<string, ScheduledCount>>;
  /** The committed counts and head of each of these channels of `queue` that holds waiting or processing items (one
   * entry each; a channel missing from the answer holds none). */
  channelStates(queue: string, keys: readonly string[]): Promise<ChannelLoad[]>;
  /** The committed head (first waiting item, by priority then place) of each of these channels of `queue` that has
   * one, with its waiting items counted up to `countUpTo` (0: not counted, answered as 0), by key (a channel missing
   * from the answer has no waiting item): index probes, never a pass over a deep channel's items. */
  channelHeads(queue: string, keys: readonly string[], countUpTo: number): Promise<Map<string, HeadLoad>>;
  /** Every channel with waiting or processing items (start-up, resync), or only those of `queue`. */
  loadChannels(queue?: string): Promise<ChannelLoad[]>;
  /** Processing items' leases: all of them (start-up), or at most `limit` that ran out by `dueBy` (the sweep). */
  loadLeases(due?: { readonly dueBy: number; readonly limit: number }): Promise<LeaseRecord[]>;
  /** Every channel with items processing, and how many (a running counter's true value), read on the leases' index. */
  processingCounts(): Promise<Array<{ readonly queue: string; readonly key: string; readonly processing: number }>>;
  /** Shared stores only: once listening has started (the returned promise), calls `listener` for every change another
   * instance commits, and for this instance's own queue deletions and whole-queue changes (not its channel changes,
   * which its service applied as it made them); `resync` when changes may have been missed. Best effort: a change
   * announced after its commit is lost if its instance dies in between, so callers also re-read on their own. */
  watch?(listener: (change: WillowChange) => void): Promise<void>;
}

export const WILLOW_STORE = Symbol('WillowStore');
