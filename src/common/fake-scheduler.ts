import { FakeClock } from './clock';
import { sleepOn, type Scheduler, type Timer } from './scheduler';

interface Armed {
  readonly seq: number;
  dueAt: number;
  readonly everyMs: number | null;
  readonly fn: () => void;
}

/**
 * A scheduler whose timers fire only when a test calls `advance`, which also moves its `FakeClock`: time is one
 * thing in a test, never a timer against a clock. `pending` says how many timers are armed, so a test can show that
 * nothing polls.
 */
export class FakeScheduler implements Scheduler {
  private readonly armed = new Map<number, Armed>();
  private seq = 0;

  constructor(readonly clock: FakeClock = new FakeClock()) {}

  after(ms: number, fn: () => void): Timer {
    return this.arm(ms, null, fn);
  }

  every(ms: number, fn: () => void): Timer {
    return this.arm(ms, Math.max(1, ms), fn);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.armed.size;
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due at its own instant (the clock reads that instant
   * while it runs), in order, and letting the promise work each firing starts settle before the next.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`FakeScheduler.advance needs a non-negative number of ms, got ${ms}`);
    const until = this.clock.now() + ms;
    await settle();
    for (let due = this.nextDue(until); due; due = this.nextDue(until)) {
      this.clock.set(Math.max(this.clock.now(), due.dueAt));
      if (due.everyMs === null) this.armed.delete(due.seq);
      else due.dueAt += due.everyMs;
      due.fn();
      await settle();
    }
    this.clock.set(until);
  }

  private nextDue(until: number): Armed | undefined {
    let first: Armed | undefined;
    for (const timer of this.armed.values()) {
      if (timer.dueAt <= until && (!first || timer.dueAt < first.dueAt)) first = timer;
    }
    return first;
  }

  private arm(ms: number, everyMs: number | null, fn: () => void): Timer {
    const seq = ++this.seq;
    this.armed.set(seq, { seq, dueAt: this.clock.now() + Math.max(0, everyMs ?? ms), everyMs, fn });
    return { cancel: () => void this.armed.delete(seq) };
  }
}

/** Lets pending promise reactions (and the I/O callbacks they started) run: a few turns of the event loop. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
