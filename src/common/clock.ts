/** The source of "now" (epoch milliseconds); services take it by injection so tests control time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** Seconds since `started`, a `process.hrtime.bigint()` reading: a monotonic duration, as metrics record them. */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A clock that moves only when told to; starts at 2030-01-01T00:00:00Z unless given a time. */
export class FakeClock implements Clock {
  private current: number;

  constructor(t: number = Date.UTC(2030, 0, 1)) {
    this.current = t;
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward; moving it back is a test bug, so use `set` for that on purpose. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance needs a non-negative number of ms, got ${ms}`);
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
