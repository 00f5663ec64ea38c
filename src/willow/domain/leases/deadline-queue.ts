import { IndexedHeap } from '../indexed-heap';

interface Entry<T> {
  readonly value: T;
  readonly at: number;
}

/**
 * Deadlines (epoch ms) in time order, so one timer serves every lease. Entries are never updated in place: a renewed
 * lease pushes a new deadline, and whoever pops a stale one checks it against the store.
 */
export class DeadlineQueue<T> {
  private readonly heap = new IndexedHeap<Entry<T>>((a, b) => a.at < b.at);

  get size(): number {
    return this.heap.size;
  }

  push(value: T, at: number): void {
    this.heap.upsert({ value, at });
  }

  nextAt(): number | null {
    return this.heap.peek()?.at ?? null;
  }

  /** Removes and returns every entry due by `now`, earliest first. */
  popDue(now: number): T[] {
    const due: T[] = [];
    for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
      this.heap.remove(top);
      due.push(top.value);
    }
    return due;
  }

  clear(): void {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) this.heap.remove(top);
  }
}
