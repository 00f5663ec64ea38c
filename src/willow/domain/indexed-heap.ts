/**
 * A binary min-heap whose members can be updated or removed in O(log n): each member's position is tracked, so a
 * channel whose head changes moves in place instead of being searched for.
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];
  private readonly positions = new Map<T, number>();

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.positions.has(item);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Inserts `item`, or restores heap order after its key changed. */
  upsert(item: T): void {
    const at = this.positions.get(item);
    if (at === undefined) {
      this.items.push(item);
      this.positions.set(item, this.items.length - 1);
      this.up(this.items.length - 1);
      return;
    }
    this.down(this.up(at));
  }

  remove(item: T): boolean {
    const at = this.positions.get(item);
    if (at === undefined) return false;
    const last = this.items.pop()!;
    this.positions.delete(item);
    if (at < this.items.length) {
      this.items[at] = last;
      this.positions.set(last, at);
      this.down(this.up(at));
    }
    return true;
  }

  /** Members in heap order is not sorted order; this yields them in ascending order without changing the heap. */
  *ascending(): IterableIterator<T> {
    if (this.items.length === 0) return;
    const frontier = new IndexedHeap<number>((a, b) => this.less(this.items[a], this.items[b]));
    frontier.upsert(0);
    while (frontier.size > 0) {
      const i = frontier.peek()!;
      frontier.remove(i);
      yield this.items[i];
      for (const child of [2 * i + 1, 2 * i + 2]) if (child < this.items.length) frontier.upsert(child);
    }
  }

  private up(i: number): number {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i], this.items[parent])) break;
      this.swap(i, parent);
      i = parent;
    }
    return i;
  }

  private down(i: number): number {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < this.items.length && this.less(this.items[l], this.items[min])) min = l;
      if (r < this.items.length && this.less(this.items[r], this.items[min])) min = r;
      if (min === i) return i;
      this.swap(i, min);
      i = min;
    }
  }

  private swap(a: number, b: number): void {
    const x = this.items[a];
    const y = this.items[b];
    this.items[a] = y;
    this.items[b] = x;
    this.positions.set(y, a);
    this.positions.set(x, b);
  }
}
