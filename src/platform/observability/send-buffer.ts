/**
 * The frames a stream client has not taken yet, bounded: a client that reads slower than events arrive is dropped
 * rather than let it hold memory or slow the server. Plain logic, no sockets: `SseStream` drives it.
 */
export class SendBuffer {
  /** The frames held, already joined (appending is cheaper than joining an array at each write). */
  private text = '';
  private count = 0;
  private overflowed = false;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new Error(`A send buffer holds at least 1 frame (got ${capacity})`);
  }

  get size(): number {
    return this.count;
  }

  /** True once a push found the buffer full: the client must be dropped, and nothing more is accepted. */
  get overflow(): boolean {
    return this.overflowed;
  }

  /** Keeps `frame` for later; false (and overflow) when the buffer is full. */
  push(frame: string): boolean {
    if (this.overflowed) return false;
    if (this.count >= this.capacity) {
      this.overflowed = true;
      this.text = '';
      this.count = 0;
      return false;
    }
    this.text += frame;
    this.count++;
    return true;
  }

  /** Every frame held, in order, as one string for one socket write ('' when none); the buffer is then empty. */
  take(): string {
    const text = this.text;
    this.text = '';
    this.count = 0;
    return text;
  }
}
