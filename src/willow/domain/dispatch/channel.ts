import type { Query } from '../../../common/query';
import type { Tags } from '../../../common/tags';
import { IndexedHeap } from '../indexed-heap';
import { viewWeight, type BudgetedView } from './view-budget';

/** The limit that refused a channel's head; capacity returns when a counter holding all of `keyValues` goes down
 * (the rule is `limitGroup` in common/capacity.ts, which the Limiter follows too). */
export interface BlockedBy {
  readonly rule: string;
  readonly override: string | null;
  readonly limit: number;
  readonly count: number;
  readonly keyValues: Tags;
}

/** A channel's first waiting item as the index needs it: its place, priority and due time. */
export interface HeadChange {
  /** Sequence number of the first waiting item (its place in line); null when nothing waits. */
  readonly headSeq: number | null;
  /** Its priority (default 0). */
  readonly headPriority?: number;
  /** When it becomes due (epoch ms); null or absent: due. */
  readonly headDueAt?: number | null;
}

/** What the index reads the time from, and tells when a channel's first item is not yet due. */
export interface IndexTiming {
  now(): number;
  /** A channel waits for its first item to become due at `dueAt`: arm a timer no later than that (DESIGN §7.8). */
  scheduled(dueAt: number): void;
}

export const SYSTEM_TIMING: IndexTiming = { now: () => Date.now(), scheduled: () => undefined };

/** A channel of one queue as the dispatcher sees it: counts, the position of its first waiting item, its state. */
export class Channel {
  waiting = 0;
  processing = 0;
  /** Sequence number of the first waiting item (its place in line); null when nothing waits. */
  headSeq: number | null = null;
  /** The first waiting item's priority: channels compete by it first (DESIGN §7.8). */
  headPriority = 0;
  /** When the first waiting item becomes due (epoch ms); null: due. */
  headDueAt: number | null = null;
  /** False while the first waiting item is not yet due: the channel then hands out nothing (a strict line). */
  due = true;
  blockedBy: BlockedBy | null = null;
  /**
   * Dequeues handing out this channel's items right now. Each will claim the first waiting item when its turn
   * comes, so the channel stays available while fewer are in flight than items wait.
   */
  reserved = 0;
  /**
   * The views this channel belongs to. An index can hold a great many channels, most of them in no view or one, so
   * this is a plain array of exactly that size (an empty Set per channel would cost about 150 bytes), shared while
   * empty; it is replaced on join and leave, never changed in place (see `joinedView` and `leftView`).
   */
  views: readonly View[] = NO_VIEWS;
  /**
   * The tags of this channel's running counter as a Limiter in this process last answered with them (null until it
   * has, and with a Limiter over a transport): sent again, a set it made is not checked and encoded again (see
   * `runningCounterTagsOf`). Kept only for channels that were dequeued from.
   */
  counterTags: Tags | null = null;

  constructor(
    readonly key: string,
    readonly tags: Tags,
  ) {}

  get ready(): boolean {
    return this.headSeq !== null && this.due && this.blockedBy === null && this.reserved < this.waiting;
  }

  get empty(): boolean {
    return this.waiting === 0 && this.processing === 0 && this.reserved === 0;
  }
}

/** The views of a channel in none: one shared empty list. */
const NO_VIEWS: readonly View[] = Object.freeze([]);

/** `views` with `view` added; `concat` allocates exactly the length needed, unlike a spread. */
export function joinedView(views: readonly View[], view: View): readonly View[] {
  return views.concat(view);
}

/** `views` without `view` (the shared empty list once none is left). */
export function leftView(views: readonly View[], view: View): readonly View[] {
  const at = views.indexOf(view);
  if (at === -1) return views;
  return views.length === 1 ? NO_VIEWS : views.toSpliced(at, 1);
}

/**
 * Among ready channels, the one to serve first: the higher head priority, then the one fewer dequeues are claiming
 * from, then the head that has waited longest. A claim in flight takes its channel's head, so the item it leaves
 * first in line is later by an amount the index learns only from the read after the claim: until then, a channel
 * being claimed from goes after those of its priority claimed from less. Over channels filled alike, a dequeue-batch
 * then takes each channel's next item in turn, close to arrival order across them, not one channel's next items one
 * after another: with 100 channels and 50 consumers, consume ran 1.8 times as fast on the embedded store (its rows are
 * stored in arrival order, so a batch touches a few pages rather than one per item). On a shared store, instances
 * picking alike no longer race for one channel's last items (half of their claims came back empty, each costing a
 * counter increment, its give-back and a read).
 */
export function servedBefore(a: Channel, b: Channel): boolean {
  if (a.headPriority !== b.headPriority) return a.headPriority > b.headPriority;
  if (a.reserved !== b.reserved) return a.reserved < b.reserved;
  return a.headSeq! < b.headSeq!;
}

/**
 * The ready channels matching one query, in `servedBefore` order. Which channels match is kept on the channels
 * (`Channel.views`), not here: one list per channel costs less than a set of members per view, and the only reader
 * that needs the members at once (eviction) can find them by a pass over the index, as building the view did.
 */
export class View implements BudgetedView {
  readonly heap: IndexedHeap<Channel>;
  readonly bytes: number;
  lastUsedAt = 0;

  constructor(
    readonly key: string,
    readonly query: Query,
  ) {
    this.heap = new IndexedHeap<Channel>(servedBefore);
    this.bytes = viewWeight(key);
  }
}

