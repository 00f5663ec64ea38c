/**
 * Orders running-counter writes against their reconciliation, within one process. A counter write holds the guard
 * shared from before the counter moves until the store and the dispatch index show the move (a dequeue: increment,
 * claim, index; a settle: the store's settlement, index, decrement), so outside any hold every running counter equals
 * its channel's processing count.
 * Reconciliation holds it alone: it waits for the holds in flight to end and holds new ones back until it is done
 * (so a steady stream of dequeues cannot starve it). Holds do not nest.
 */
export class CounterGuard {
  private holders = 0;
  private exclusive: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.holders++;
    try {
      return await fn();
    } finally {
      if (--this.holders === 0) this.drained?.();
    }
  }

  async alone<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let done!: () => void;
    this.exclusive = new Promise<void>((resolve) => (done = resolve));
    try {
      if (this.holders > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = null;
      return await fn();
    } finally {
      this.exclusive = null;
      done();
    }
  }
}
