import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Tags } from '../common/tags';
import type { LimitPlan } from './domain/limit-plan';
import { RuleBook, type RuleDef } from './domain/rule-book';
import { LIMITER_STORE, type LimiterStore } from './limiter.store';

/**
 * The rules and overrides in memory (a RuleBook), kept equal to the committed tables:
 * - loaded from the tables on start, before anything uses it (even a caller that runs before `onModuleInit`);
 * - changed only after the store's write committed (a group-commit batch can still fail and roll back);
 * - counter writes are planned from it only while no definition change is in flight, and the plan is handed to
 *   the store in the same synchronous step, so each counter write runs against exactly the rules it was planned
 *   with: every earlier definition change has committed and every later one runs after it (and, creating a rule,
 *   scans the counters including it).
 */
@Injectable()
export class RuleCache implements OnModuleInit {
  private readonly book = new RuleBook();
  private loading: Promise<void> | null = null;
  private loaded = false;
  private inFlight = 0;
  private settled: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(@Inject(LIMITER_STORE) private readonly store: LimiterStore) {}

  onModuleInit(): Promise<void> {
    return this.load();
  }

  /** The committed rules, for reads. */
  async rules(): Promise<RuleBook> {
    if (!this.loaded) await this.load();
    return this.book;
  }

  /** Runs `write` with the plan for `tags` once no definition change is in flight (usually at once). */
  async withPlan<T>(tags: Tags, write: (plan: LimitPlan) => Promise<T>): Promise<T> {
    if (!this.loaded) await this.load();
    while (this.settled) await this.settled;
    return write(this.book.plan(tags));
  }

  /**
   * Runs a definition change; once it has committed, applies the rule it returns (or deletes `ruleName` when it
   * returns null) to the book, and answers the rule as the book holds it. A failed write leaves the book as it was.
   */
  async change(ruleName: string, write: () => Promise<RuleDef | null>): Promise<RuleDef | null> {
    if (!this.loaded) await this.load();
    if (this.inFlight++ === 0) this.settled = new Promise<void>((resolve) => (this.wake = resolve));
    try {
      const rule = await write();
      if (!rule) {
        this.book.delete(ruleName);
        return null;
      }
      this.book.put(rule);
      return this.book.get(rule.name)!;
    } finally {
      if (--this.inFlight === 0) {
        this.settled = null;
        this.wake!();
      }
    }
  }

  private load(): Promise<void> {
    this.loading ??= this.store.loadRules().then(
      (rules) => {
        for (const rule of rules) this.book.put(rule);
        this.loaded = true;
      },
      (error: unknown) => {
        this.loading = null; // the next caller tries again
        throw error;
      },
    );
    return this.loading;
  }
}
