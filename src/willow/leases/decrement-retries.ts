import { Logger } from '@nestjs/common';
import type { Backoff, Scheduler } from '../../common/scheduler';
import type { CounterDecrement, LimiterPort } from '../../limiter';

/** A decrement that must land, with the idempotency key that makes sending it again safe. */
export type PendingDecrement = CounterDecrement & { readonly opId: string };

/**
 * Running-counter decrements that failed on a shared store (several instances), sent again with backoff until each
 * is answered. Sending one again is safe whatever became of the failed attempt (it may have committed before its
 * answer was lost): the limiter applies each opId at most once. Each attempt runs inside `guarded`, after checking
 * the decrement is still pending, so one never overlaps a reconciliation that dropped it (`clear`).
 *
 * Pending decrements live in this process only. An instance that dies with items processing loses nothing here:
 * their leases run out and another instance settles them, decrementing their counters. A decrement still pending
 * when the instance dies after its settlement committed is lost with it: the counter stays one too high until the
 * others recount (CounterFence, as soon as they see its session ended).
 */
export class DecrementRetries {
  private readonly logger = new Logger(DecrementRetries.name);
  private readonly pending = new Map<string, PendingDecrement>();
  private running = false;
  private stopped = false;

  /** `backoff`: the pause between passes over the pending decrements while the limiter or its store keeps failing. */
  constructor(
    private readonly limiter: LimiterPort,
    private readonly guarded: (fn: () => Promise<void>) => Promise<void>,
    private readonly scheduler: Scheduler,
    private readonly backoff: Backoff,
  ) {}

  /** How many decrements wait to be sent again. */
  get size(): number {
    return this.pending.size;
  }

  add(change: PendingDecrement): void {
    this.pending.set(change.opId, change);
    void this.run();
  }

  /** Every running counter was re-set from the items processing (reconciliation, alone): these are part of it. */
  clear(): void {
    this.pending.clear();
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      this.backoff.reset();
      while (this.pending.size > 0 && !this.stopped) {
        await this.scheduler.sleep(this.backoff.next());
        if (await this.pass()) this.backoff.reset();
      }
    } finally {
      this.running = false;
    }
  }

  /** Sends every pending decrement in turn; false at the first failure (the others would most likely meet it too). */
  private async pass(): Promise<boolean> {
    for (const change of [...this.pending.values()]) {
      if (this.stopped) return true;
      try {
        await this.guarded(async () => {
          if (!this.pending.has(change.opId)) return;
          await this.limiter.decrement(change);
          this.pending.delete(change.opId);
        });
      } catch (error) {
        this.logger.warn({ err: error, pending: this.pending.size }, 'running counter decrement failed again; retrying');
        return false;
      }
    }
    return true;
  }
}
