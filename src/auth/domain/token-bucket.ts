/**
 * Request rate per client: a token bucket per identity (a key's name, or a client address), holding at most one
 * second's worth of requests and refilled continuously at `ratePerSecond`.
 *
 * Why not @nestjs/throttler: its limits are per route (its storage key includes the controller and handler), with
 * fixed windows that let twice the rate through around a window's edge; the limit here is one budget per key across
 * every route, and the concurrent-waiter cap beside it is not a rate at all. This is the whole algorithm.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    /** Buckets kept before full (idle) ones are forgotten; bounds memory under many distinct clients. */
    private readonly maxTracked = 10_000,
  ) {}

  /** Takes one token for `identity` at `nowMs`: 0 when the request may go on, else seconds until it may retry. */
  take(identity: string, nowMs: number): number {
    const capacity = this.ratePerSecond;
    let bucket = this.buckets.get(identity);
    if (!bucket) {
      if (this.buckets.size >= this.maxTracked) this.forgetFull(nowMs);
      bucket = { tokens: capacity, at: nowMs };
      this.buckets.set(identity, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
  }

  get tracked(): number {
    return this.buckets.size;
  }

  private forgetFull(nowMs: number): void {
    for (const [identity, bucket] of this.buckets) {
      if (bucket.tokens + ((nowMs - bucket.at) / 1000) * this.ratePerSecond >= this.ratePerSecond) this.buckets.delete(identity);
    }
  }
}

/** Concurrent long-polls and lock waits per identity, capped at `max`. */
export class WaiterCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more waiter for `identity`; false (and nothing counted) when it already has `max`. */
  enter(identity: string): boolean {
    const count = this.counts.get(identity) ?? 0;
    if (count >= this.max) return false;
    this.counts.set(identity, count + 1);
    return true;
  }

  leave(identity: string): void {
    const count = (this.counts.get(identity) ?? 0) - 1;
    if (count > 0) this.counts.set(identity, count);
    else this.counts.delete(identity);
  }

  waiting(identity: string): number {
    return this.counts.get(identity) ?? 0;
  }
}
