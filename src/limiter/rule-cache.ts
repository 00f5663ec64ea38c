import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { StoreUnavailableError } from '../common/errors';
import type { Tags } from '../common/tags';
import type { LimitPlan } from './domain/limit-plan';
import { RuleBook, type RuleDef } from './domain/rule-book';
import { LIMITER_STORE, STALE_PLAN, type LimiterStore, type Planned, type RuleChange, type RuleSet } from './limiter.store';

/** The version of a book that may lack a committed change: no store answers a plan made with it. */
const UNKNOWN = -1;
/** How many times a counter write is planned again after the rules changed under it before giving up. */
const MAX_PLANS = 6;

/**
 * The rules and overrides in memory (a RuleBook) with the rules version they make up, kept equal to the committed
 * tables:
 * - loaded from the tables on start, before anything uses it (even a caller that runs before `onModuleInit`);
 * - changed only after the store's write committed (a group-commit batch can still fail and roll back);
 * - counter writes are planned from it only while no definition change of this process is in flight, and carry the
 *   version they were planned with; a store holding other rules (changed by another instance, or by a change whose
 *   commit failed) answers STALE_PLAN and the write is planned again on freshly loaded rules.
 * The book and its version always go together: a change applies on top only when it is the very next version;
 * otherwise the version becomes UNKNOWN and the next user reloads.
 */
@Injectable()
export class RuleCache implements OnModuleInit {
  private book = new RuleBook();
  private version = UNKNOWN;
  private loading: Promise<void> | null = null;
  private loaded = false;
  private reloading: Promise<void> | null = null;
  private inFlight = 0;
  private settled: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(@Inject(LIMITER_STORE) private readonly store: LimiterStore) {}

  onModuleInit(): Promise<void> {
    return this.load();
  }

  /**
   * The committed rules, for reads (which do not wait for this process's changes in flight): checked against the
   * store's version, so another instance's committed change shows at once.
   */
  async rules(): Promise<RuleBook> {
    if (!this.loaded) await this.load();
    if ((await this.store.rulesVersion()) !== this.version) await this.reload();
    return this.book;
  }

  /**
   * Runs `write` with the plan for `tags` and the version it was made with, once no definition change is in flight
   * (usually at once); plans again on current rules while the store answers STALE_PLAN.
   */
  async withPlan<T>(tags: Tags, write: (plan: LimitPlan, version: number) => Promise<Planned<T>>): Promise<T> {
    const [result] = await this.withPlans([tags], async (plans, version) => [await write(plans[0], version)]);
    return result;
  }

  /**
   * `withPlan` for several counters at once: `write` gets the plans of those still to write (made from one rules
   * version) and answers pairwise; only the writes answered STALE_PLAN are planned and written again.
   */
  async withPlans<T>(tags: readonly Tags[], write: (plans: LimitPlan[], version: number, at: readonly number[]) => Promise<Array<Planned<T>>>): Promise<T[]> {
    const results = new Array<T>(tags.length);
    let pending = tags.map((_, i) => i);
    for (let attempt = 1; attempt <= MAX_PLANS; attempt++) {
      await this.ready();
      const book = this.book;
      const answers = await write(pending.map((i) => book.plan(tags[i])), this.version, pending);
      pending = pending.filter((i, k) => {
        const answer = answers[k];
        if (answer === STALE_PLAN) return true;
        results[i] = answer;
        return false;
      });
      if (pending.length === 0) return results;
      this.version = UNKNOWN;
    }
    throw new StoreUnavailableError(`the limiter rules changed ${MAX_PLANS} times during one counter write; retry`);
  }

  /** Another instance committed `version` (null: unknown, after missed notifications): reload unless already there. */
  async refresh(version: number | null): Promise<void> {
    if (!this.loaded) return this.load();
    if (version === null || version > this.version) this.version = UNKNOWN;
    if (this.version === UNKNOWN) await this.reload();
  }

  /**
   * Runs a definition change; once it has committed, applies the rule it returns (or deletes `ruleName` when it
   * returns null) to the book, and answers the rule as the book holds it. A failed write leaves the book as it was.
   */
  async change(ruleName: string, write: () => Promise<RuleChange<RuleDef | null>>): Promise<RuleDef | null> {
    if (!this.loaded) await this.load();
    if (this.inFlight++ === 0) this.settled = new Promise<void>((resolve) => (this.wake = resolve));
    try {
      const { version, rule } = await write();
      const next = this.version !== UNKNOWN && version === this.version + 1;
      if (rule) this.book.put(rule);
      else this.book.delete(ruleName);
      this.version = next ? version : UNKNOWN;
      return rule ? this.book.get(rule.name)! : null;
    } finally {
      if (--this.inFlight === 0) {
        this.settled = null;
        this.wake!();
      }
    }
  }

  /** Loaded, no definition change of this process in flight, and a known version. */
  private async ready(): Promise<void> {
    if (!this.loaded) await this.load();
    for (;;) {
      if (this.settled) await this.settled;
      else if (this.version === UNKNOWN) await this.reload();
      else return;
    }
  }

  private load(): Promise<void> {
    this.loading ??= this.store.loadRules().then(
      (set) => {
        this.adopt(set);
        this.loaded = true;
      },
      (error: unknown) => {
        this.loading = null; // the next caller tries again
        throw error;
      },
    );
    return this.loading;
  }

  /** One reload at a time; callers arriving meanwhile share it. */
  private reload(): Promise<void> {
    this.reloading ??= this.store
      .loadRules()
      .then((set) => this.adopt(set))
      .finally(() => (this.reloading = null));
    return this.reloading;
  }

  /** Takes a consistent snapshot unless the book is already as new (a local change may have landed meanwhile). */
  private adopt(set: RuleSet): void {
    if (this.version !== UNKNOWN && set.version <= this.version) return;
    const book = new RuleBook();
    for (const rule of set.rules) book.put(rule);
    this.book = book;
    this.version = set.version;
  }
}
