/**
 * Bounds the memory of dispatch views (one per distinct dequeue query of a queue, see QueueIndex). A view is
 * weighed by the size of its query (JSON text plus the parsed form it keeps); views are evicted least recently used
 * first when a queue holds too many or too heavy ones, when all queues together exceed `maxBytesTotal`, and when one
 * has not been used for `idleMs`. An evicted view is rebuilt by its next dequeue; nothing else is lost.
 */
export interface ViewLimits {
  readonly maxViewsPerQueue: number;
  readonly maxBytesPerQueue: number;
  readonly maxBytesTotal: number;
  readonly idleMs: number;
}

export const DEFAULT_VIEW_LIMITS: ViewLimits = {
  maxViewsPerQueue: 256,
  maxBytesPerQueue: 1024 * 1024,
  maxBytesTotal: 32 * 1024 * 1024,
  idleMs: 10 * 60_000,
};

/** The parsed query keeps about as much again as its JSON text; strings are UTF-16 in memory. */
export function viewWeight(queryKey: string): number {
  return 4 * queryKey.length + 256;
}

/** What the budget needs of a view and of the index holding it. */
export interface BudgetedView {
  readonly bytes: number;
  lastUsedAt: number;
}

export interface ViewOwner<V extends BudgetedView> {
  /** Drops `view` from its index (its channels leave it). */
  evict(view: V): void;
  viewCount: number;
  viewBytes: number;
}

export class ViewBudget<V extends BudgetedView = BudgetedView> {
  /** Every live view with its owner, least recently used first (a Map keeps insertion order). */
  private readonly lru = new Map<V, ViewOwner<V>>();
  private totalBytes = 0;

  constructor(
    readonly limits: ViewLimits = DEFAULT_VIEW_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.lru.size;
  }

  /** Records a use of `view` (new or known), then evicts what the limits no longer allow, never `view` itself. */
  use(view: V, owner: ViewOwner<V>): void {
    const now = this.now();
    if (this.lru.delete(view)) {
      this.lru.set(view, owner);
    } else {
      this.lru.set(view, owner);
      owner.viewCount++;
      owner.viewBytes += view.bytes;
      this.totalBytes += view.bytes;
    }
    view.lastUsedAt = now;
    this.evictOver(view, owner, now);
  }

  /** Forgets every view of `owner` (its queue was deleted). */
  forgetOwner(owner: ViewOwner<V>): void {
    for (const [view, o] of this.lru) if (o === owner) this.remove(view, o);
  }

  private evictOver(keep: V, owner: ViewOwner<V>, now: number): void {
    const { maxViewsPerQueue, maxBytesPerQueue, maxBytesTotal, idleMs } = this.limits;
    for (const [view, o] of this.lru) {
      if (view === keep) continue;
      const idle = now - view.lastUsedAt >= idleMs;
      const ownerOver = o === owner && (owner.viewCount > maxViewsPerQueue || owner.viewBytes > maxBytesPerQueue);
      if (idle || ownerOver || this.totalBytes > maxBytesTotal) {
        this.remove(view, o);
        o.evict(view);
        continue;
      }
      // Least recently used first: once one view may stay, so may every later one, except the owner's own excess.
      if (owner.viewCount <= maxViewsPerQueue && owner.viewBytes <= maxBytesPerQueue) return;
    }
  }

  private remove(view: V, owner: ViewOwner<V>): void {
    this.lru.delete(view);
    owner.viewCount--;
    owner.viewBytes -= view.bytes;
    this.totalBytes -= view.bytes;
  }
}
