/**
 * Waiters per lock, granted strictly in arrival order. A Set keeps insertion order and removes a waiter that gave
 * up (timeout, disconnect) in O(1); an empty queue is forgotten.
 */
export class FifoWaiters<W> {
  private readonly queues = new Map<string, Set<W>>();

  add(key: string, waiter: W): void {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = new Set()));
    queue.add(waiter);
  }

  remove(key: string, waiter: W): boolean {
    const queue = this.queues.get(key);
    if (!queue?.delete(waiter)) return false;
    if (queue.size === 0) this.queues.delete(key);
    return true;
  }

  first(key: string): W | undefined {
    return this.queues.get(key)?.values().next().value;
  }

  count(key: string): number {
    return this.queues.get(key)?.size ?? 0;
  }

  has(key: string): boolean {
    return this.queues.has(key);
  }

  /** Every waiter of every key, in arrival order per key (used at shutdown). */
  *all(): IterableIterator<W> {
    for (const queue of this.queues.values()) yield* queue;
  }
}
