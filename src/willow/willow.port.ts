import type { Page, PageRequest } from '../common/page';
import type { Query } from '../common/query';
import type { Tags } from '../common/tags';

export type RetryPosition = 'front' | 'back';
export type RetryBackoff = 'fixed' | 'exponential';

export interface NewItem {
  /** The item's channel: its exact tag set. */
  readonly tags: Tags;
  /** Any JSON value. */
  readonly data: unknown;
  readonly updateable: boolean;
  readonly retryAttempts: number;
  readonly retryPosition: RetryPosition;
  readonly timeoutMs: number;
  /** Higher first, -100..100 (default 0): orders the channel's line and the choice among channels (DESIGN §7.8). */
  readonly priority?: number;
  /** Not handed out before `now + delayMs`; 0 to 30 days. At most one of `delayMs` and `notBefore`. */
  readonly delayMs?: number | null;
  /** Not handed out before this time (epoch ms). */
  readonly notBefore?: number | null;
  /** Before re-delivery n, due RetryDelay (fixed) or RetryDelay × 2^(n−1) (exponential, capped at 24 h) after the
   * failure; default 0: at once. */
  readonly retryDelayMs?: number;
  readonly retryBackoff?: RetryBackoff;
}

export interface EnqueueResult {
  readonly id: string;
  /** True when the item replaced the channel's updateable last waiting item in place (same id, same place). */
  readonly collapsed: boolean;
}

export interface Delivery {
  readonly id: string;
  readonly tags: Tags;
  /** The tags' canonical encoding: JSON of an object, keys in code-point order (its channel's key). */
  readonly tagsJson: string;
  /** The item's Data as enqueued, as the JSON text it is stored as (an answer embeds it rather than re-encoding it). */
  readonly dataJson: string;
  /** 1 on the first delivery, rising with every re-delivery. */
  readonly attempt: number;
  readonly timeoutMs: number;
  readonly expiresAt: string;
}

export interface DequeueCommand {
  readonly queue: string;
  readonly query: Query;
  readonly waitMs: number;
  /** Most items to hand out at once (1 for a plain dequeue). */
  readonly count: number;
}

export interface AckCommand {
  readonly id: string;
  readonly passed: boolean;
  /** The delivery being acknowledged; null skips the staleness check. */
  readonly attempt: number | null;
  /** Why it failed (`passed` false only, at most 4 KiB); kept as the item's LastError. Absent or null: none. */
  readonly error?: string | null;
}

/** One judged ack of a batch: 200 done, or the code of the error a single ack would get. */
export type AckOutcome =
  | { readonly id: string; readonly ok: true }
  | {
      readonly id: string;
      readonly ok: false;
      readonly code: 'ITEM_NOT_FOUND' | 'LEASE_LOST';
      readonly message: string;
      /** The error's detail fields (`ID`, `Attempt`), as a single ack answers them. */
      readonly details: Readonly<Record<string, unknown>>;
    };

/** An item as inspected (DESIGN §7.8). */
export interface ItemInfo {
  readonly id: string;
  readonly tags: Tags;
  /** Any JSON value; null in listings, which do not read Data. */
  readonly data: unknown;
  readonly state: ItemStateName;
  readonly priority: number;
  /** While scheduled: when it becomes due; null otherwise. */
  readonly notBefore: string | null;
  /** Deliveries so far. */
  readonly attempt: number;
  /** Waiting items ahead of it in its channel's line (0: it is the next one); null while processing. */
  readonly position: number | null;
  /** Null for an item stored before enqueue times were recorded. */
  readonly enqueuedAt: string | null;
  /** The lease end while processing; null while waiting. */
  readonly expiresAt: string | null;
  /** Why its last delivery failed (the failed ack's `Error`, or "lease expired"); null when none did or said. */
  readonly lastError: string | null;
}

/** `scheduled`: waiting, but not handed out before its `notBefore` (a delay or a retry's backoff). */
export type ItemStateName = 'waiting' | 'scheduled' | 'processing';

export interface ListItemsCommand {
  readonly queue: string;
  readonly query: Query;
  /** Only items in this state; null for both. */
  readonly state: ItemStateName | null;
  readonly page: PageRequest;
}

/** Items: the producer and consumer side of Willow. In-process: WillowService. */
export interface WillowPort {
  /**
   * Enqueues items in order, all-or-nothing in one transaction, collapsing as if sent one by one. QUEUE_NOT_FOUND,
   * QUEUE_FULL (nothing written), TOO_LARGE.
   */
  enqueue(queue: string, items: readonly NewItem[]): Promise<EnqueueResult[]>;
  /**
   * Hands out up to `count` items matching the query, each through the Limiter gate, waiting up to `waitMs` for the
   * first one. Resolves `[]` when nothing came in time or `signal` aborted. QUEUE_DELETED when the queue goes away
   * while waiting; SHUTTING_DOWN when the process stops.
   */
  dequeue(cmd: DequeueCommand, signal?: AbortSignal): Promise<Delivery[]>;
  /** Puts deliveries whose answer never reached the consumer back first in line, attempt not counted. */
  giveBack(queue: string, deliveries: readonly Delivery[]): Promise<void>;
  /** Renews a processing item's lease. ITEM_NOT_FOUND; LEASE_LOST when `attempt` is no longer current. */
  heartbeat(cmd: { readonly queue: string; readonly id: string; readonly attempt: number | null }): Promise<{ readonly expiresAt: string }>;
  /** Judges each ack on its own and commits every accepted one together. */
  ack(queue: string, acks: readonly AckCommand[]): Promise<AckOutcome[]>;
  /** A waiting or processing item with its position in line. QUEUE_NOT_FOUND; ITEM_NOT_FOUND otherwise (dead letters
   * are under the dead-letter listing). */
  inspect(queue: string, id: string): Promise<ItemInfo>;
  /** Waiting and processing items of the channels matching `query`, by arrival; `data` is null. QUEUE_NOT_FOUND. */
  listItems(cmd: ListItemsCommand): Promise<Page<ItemInfo>>;
  /**
   * Removes a waiting item, or ends a processing item's delivery: its running counter goes down at once (exactly
   * once) and its heartbeat or ack with that Attempt gets LEASE_LOST "cancelled". Not a dead letter.
   * QUEUE_NOT_FOUND, ITEM_NOT_FOUND.
   */
  cancel(queue: string, id: string): Promise<void>;
}

export interface QueueInfo {
  readonly name: string;
  readonly maxItems: number;
  /** A paused queue accepts enqueues, heartbeats and acks but hands out nothing. */
  readonly paused: boolean;
  /** Waiting items (counted in `waiting`) that are not yet due: delayed, or retrying after a backoff. */
  readonly scheduled: number;
  readonly waiting: number;
  readonly processing: number;
  readonly channels: number;
}

export interface ChannelInfo {
  readonly tags: Tags;
  readonly waiting: number;
  readonly processing: number;
  /** Waiting items (counted in `waiting`) that are not yet due. */
  readonly scheduled: number;
  /** The earliest due time among them; null when none is scheduled. */
  readonly nextDueAt: string | null;
  readonly blockedBy: { readonly rule: string; readonly override: string | null; readonly limit: number; readonly count: number } | null;
}

export interface DeadLetter {
  readonly id: string;
  readonly tags: Tags;
  readonly data: unknown;
  /** Deliveries made. */
  readonly attempts: number;
  readonly reason: string;
  readonly deadAt: string;
  /** Why its last delivery failed: the failed ack's Error, or "lease expired"; null when none was given. */
  readonly lastError: string | null;
}

export interface QueueUpdate {
  readonly name: string;
  /** Absent: unchanged. */
  readonly maxItems?: number;
  /** Absent: unchanged. */
  readonly paused?: boolean;
}

/** Queues, channels and dead letters: the administration side of Willow. In-process: QueueAdminService. */
export interface QueueAdminPort {
  createQueue(cmd: { readonly name: string; readonly maxItems: number }): Promise<QueueInfo>;
  getQueue(name: string): Promise<QueueInfo>;
  listQueues(page: PageRequest): Promise<Page<QueueInfo>>;
  /**
   * Changes what is given and keeps the rest. Lowering MaxItems evicts nothing; it only refuses new items. Pausing
   * stops hand-outs (waiting dequeues keep waiting); resuming serves them at once.
   */
  updateQueue(cmd: QueueUpdate): Promise<QueueInfo>;
  /** Waiting dequeues end with QUEUE_DELETED; processing items are dropped and their counters freed. */
  deleteQueue(name: string): Promise<void>;
  listChannels(queue: string, query: Query, page: PageRequest): Promise<Page<ChannelInfo>>;
  /** Drops the channel's waiting and processing items and frees their counters. */
  deleteChannel(queue: string, tags: Tags): Promise<void>;
  listDeadLetters(queue: string, page: PageRequest): Promise<Page<DeadLetter>>;
  /** The same item (same id) goes to the back of its channel with its attempts reset. */
  requeueDeadLetter(queue: string, id: string): Promise<{ readonly id: string }>;
  deleteDeadLetter(queue: string, id: string): Promise<void>;
}

export const WILLOW_PORT = Symbol('WillowPort');
export const QUEUE_ADMIN_PORT = Symbol('QueueAdminPort');
