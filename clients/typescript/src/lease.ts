import { WillowError, isTransient } from './errors';

/** What one renewal got: renewed, lost for good (409/404), or a failure worth retrying. */
export type Renewal = { kind: 'renewed' } | { kind: 'lost'; error: WillowError } | { kind: 'failed'; error: unknown };

/**
 * Keeps a lease (an item's or a lock's) alive: renews it every third of its `timeoutMs`, sooner after a failed
 * renewal, and declares it lost when the server says so or when the lease has run out while renewals kept failing.
 * Loss aborts `signal`. One renewal at a time; `end()` stops the timer and waits for a renewal in flight, so nothing
 * is sent after it and the caller learns whether the lease was still held.
 */
export class LeaseKeeper {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inflight: Promise<void> | undefined;
  private ended = false;
  private deadline: number;
  private lostError: WillowError | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly renew: () => Promise<Renewal>,
    private readonly onError: (error: unknown) => void,
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.schedule(timeoutMs / 3);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): WillowError | undefined {
    return this.lostError;
  }

  /** Renews now (joining a renewal in flight); throws the `WillowError` that lost the lease, if it is lost. */
  async heartbeat(): Promise<void> {
    if (!this.ended && !this.lostError) await this.beat();
    if (this.lostError) throw this.lostError;
  }

  /** Stops renewing; resolves true when the lease was still held at that point. */
  async end(): Promise<boolean> {
    this.ended = true;
    clearTimeout(this.timer);
    await this.inflight;
    return !this.lostError;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.ended || this.lostError) return;
    this.timer = setTimeout(() => void this.beat(), Math.max(10, ms));
  }

  private beat(): Promise<void> {
    if (this.inflight) return this.inflight;
    clearTimeout(this.timer);
    this.inflight = this.renewOnce().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async renewOnce(): Promise<void> {
    const startedAt = Date.now();
    let outcome: Renewal;
    try {
      outcome = await this.renew();
    } catch (error) {
      outcome = { kind: 'failed', error };
    }
    if (outcome.kind === 'renewed') {
      this.deadline = startedAt + this.timeoutMs;
      this.schedule(this.timeoutMs / 3);
    } else if (outcome.kind === 'lost') {
      this.lose(outcome.error);
    } else if (Date.now() >= this.deadline) {
      this.lose(new WillowError(409, 'LEASE_LOST', 'The lease ran out while heartbeats were failing', {}, { cause: outcome.error }));
    } else {
      this.onError(outcome.error);
      const retryIn = isTransient(outcome.error) ? this.timeoutMs / 9 : this.timeoutMs / 3;
      this.schedule(Math.min(retryIn, this.deadline - Date.now() - 1));
    }
  }

  private lose(error: WillowError): void {
    this.lostError = error;
    clearTimeout(this.timer);
    this.controller.abort(error);
  }
}

/** Maps a heartbeat's failure to a renewal outcome: 404 and 409 mean the lease is gone. */
export function renewalOf(error: unknown): Renewal {
  if (error instanceof WillowError && (error.status === 404 || error.status === 409)) return { kind: 'lost', error };
  return { kind: 'failed', error };
}
