/**
 * A counting semaphore with a FIFO line: at most `slots` holders at once, the rest admitted in arrival order as
 * holders leave. No timeout: a caller waits until a slot frees.
 */
export class Admission {
  private readonly line: Array<() => void> = [];
  private head = 0;

  constructor(private free: number) {}

  /** Resolves once the caller holds a slot; `leave()` must follow exactly once. */
  enter(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.line.push(resolve));
  }

  /** Gives the slot to the longest waiting caller, or frees it. */
  leave(): void {
    if (this.head < this.line.length) {
      const next = this.line[this.head++];
      if (this.head > 1024 && this.head * 2 > this.line.length) {
        this.line.splice(0, this.head);
        this.head = 0;
      }
      next();
      return;
    }
    this.free++;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.line.length - this.head;
  }
}
