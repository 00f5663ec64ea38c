/** How often a store prunes the opIds of applied decrements that aged past their retention. */
export const PRUNE_EVERY_MS = 60_000;

/**
 * When a store should prune recorded decrement opIds: at most once per PRUNE_EVERY_MS of its callers' clock, inside
 * a decrement's transaction (so the record stays bounded without a timer of its own). A prune whose transaction
 * rolls back is simply done by a later one.
 */
export class OpPruning {
  private nextAt = -Infinity;

  /** The cut-off (prune opIds applied before it) when a prune is due at `now`; null otherwise. */
  due(now: number, retentionMs: number): number | null {
    if (now < this.nextAt) return null;
    this.nextAt = now + PRUNE_EVERY_MS;
    return now - retentionMs;
  }
}
