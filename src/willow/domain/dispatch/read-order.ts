/** Reads of one size are pruned in batches of at least this many entries (amortised O(1) per read). */
const PRUNE_MIN = 1_000;

/**
 * The order of overlapping reads of a shared store: a read's answer about a channel is applied only if no read started
 * later has been applied to that channel already, so a slow read never overwrites a newer one.
 *
 * What it remembers per channel only matters while a read started earlier is in flight, so it is forgotten as reads
 * end: all of it when none is in flight, else (once it has doubled) what no read in flight could be refused by. Its
 * size is bounded by the channels read since the oldest read still in flight started, not by every channel ever seen.
 */
export class ReadOrder {
  /** Per channel, the start tick of the read last applied to it. */
  private readonly appliedAt = new Map<string, number>();
  /** Start ticks of the reads in flight. */
  private readonly inFlight = new Set<number>();
  private prunedSize = 0;
  private tick = 0;

  /** Channels remembered (for tests and diagnostics). */
  get size(): number {
    return this.appliedAt.size;
  }

  /** A read starts: its tick, to pass to `admit` and `end`. */
  start(): number {
    const started = ++this.tick;
    this.inFlight.add(started);
    return started;
  }

  /** Whether the read started at `started` may apply its answer about `channel` (and, if so, remembers it). */
  admit(channel: string, started: number): boolean {
    if ((this.appliedAt.get(channel) ?? 0) > started) return false;
    this.appliedAt.set(channel, started);
    return true;
  }

  /** The read started at `started` ended (applied or failed). */
  end(started: number): void {
    this.inFlight.delete(started);
    if (this.inFlight.size === 0) {
      this.appliedAt.clear();
      this.prunedSize = 0;
      return;
    }
    if (this.appliedAt.size < 2 * this.prunedSize + PRUNE_MIN) return;
    // An entry at tick t refuses only reads started before t; every read in flight started at `oldest` or later.
    const oldest = Math.min(...this.inFlight);
    for (const [channel, at] of this.appliedAt) if (at <= oldest) this.appliedAt.delete(channel);
    this.prunedSize = this.appliedAt.size;
  }
}
