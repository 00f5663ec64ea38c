/**
 * Waiters per lock, granted strictly in arrival order. A Set keeps insertion order and removes a waiter that gave
 * up (timeout, disconnect) in O(1); an empty queue is forgotten.
 *
 * With `rank` (the waiter's ticket), arrival order is the rank's order even when waiters are added out of it, as
 * when two tickets are fetched concurrently from a shared store and answered in the other order.
 */
export class FifoWaiters<W> {
  private readonly queues = new Map<string, { set: Set<W>; lastRank: number }>();

  constructor(private readonly rank?: (waiter: W) => number) {}

  add(key: string, waiter: W): void {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { set: new Set(), lastRank: -Infinity }));
    if (queue.set.has(waiter)) return;
    const rank = this.rank?.(waiter) ?? Infinity;
    if (rank >= queue.lastRank) {
      queue.set.add(waiter);
      queue.lastRank = rank;
      return;
    }
    // Rare: rebuild the queue with the waiter in its place.
    const ordered = [...queue.set, waiter].sort((x, y) => this.rank!(x) - this.rank!(y));
    queue.set = new Set(ordered);
  }

  remove(key: string, waiter: W): boolean {
    const queue = this.queues.get(key);
    if (!queue?.set.delete(waiter)) return false;
    if (queue.set.size === 0) this.queues.delete(key);
    return true;
  }

  includes(key: string, waiter: W): boolean {
    return this.queues.get(key)?.set.has(waiter) ?? false;
  }

  first(key: string): W | undefined {
    return this.queues.get(key)?.set.values().next().value;
  }

  count(key: string): number {
    return this.queues.get(key)?.set.size ?? 0;
  }

  has(key: string): boolean {
    return this.queues.has(key);
  }

  /** Keys with at least one waiter. */
  keys(): string[] {
    return [...this.queues.keys()];
  }

  /** Every waiter of every key, in arrival order per key (used at shutdown). */
  *all(): IterableIterator<W> {
    for (const queue of this.queues.values()) yield* queue.set;
  }
}
