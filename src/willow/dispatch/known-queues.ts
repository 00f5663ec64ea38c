/**
 * The queues this instance has confirmed exist (the store said so), so that a dequeue of one of them does not ask the
 * store again. A queue leaves when it is deleted (here, or heard of from another instance), and every queue leaves
 * when the instance may have missed a deletion (a resync). A read that started before such a forgetting confirms
 * nothing (`mark`, then `confirm`): a dequeue in flight across a deletion cannot put the deleted queue back.
 */
export class KnownQueues {
  private readonly known = new Set<string>();
  /** Rises with every forgetting. */
  private epoch = 0;

  has(queue: string): boolean {
    return this.known.has(queue);
  }

  /** Taken before asking the store whether a queue exists; `confirm` takes it back. */
  mark(): number {
    return this.epoch;
  }

  /** The store said `queue` exists, asked after `mark`: known, unless a queue was forgotten since. */
  confirm(queue: string, mark: number): void {
    if (mark === this.epoch) this.known.add(queue);
  }

  forget(queue: string): void {
    this.epoch++;
    this.known.delete(queue);
  }

  forgetAll(): void {
    this.epoch++;
    this.known.clear();
  }

  get size(): number {
    return this.known.size;
  }
}
