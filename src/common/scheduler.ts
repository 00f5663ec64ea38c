/**
 * The source of "later": every timer in Willow is armed through a `Scheduler`, so tests drive time with
 * `FakeScheduler` (fake-scheduler.ts) instead of waiting on the wall clock. Timers never keep the process alive.
 */
export interface Timer {
  /** Disarms the timer; a timer that already fired (or was cancelled) ignores it. */
  cancel(): void;
}

export interface Scheduler {
  /** Runs `fn` once, `ms` from now. */
  after(ms: number, fn: () => void): Timer;
  /** Runs `fn` every `ms` until cancelled. */
  every(ms: number, fn: () => void): Timer;
  /** Resolves `ms` from now, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemScheduler: Scheduler = Object.freeze({
  after(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, ms)).unref();
    return { cancel: () => clearTimeout(handle) };
  },
  every(ms: number, fn: () => void): Timer {
    const handle = setInterval(fn, Math.max(1, ms)).unref();
    return { cancel: () => clearInterval(handle) };
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(systemScheduler, ms, signal);
  },
});

/** `sleep` on top of `after`, shared by the system and the fake scheduler. */
export function sleepOn(scheduler: Pick<Scheduler, 'after'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = scheduler.after(ms, done);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export interface BackoffOptions {
  /** The first delay (before jitter). */
  readonly firstMs: number;
  /** Delays double up to this cap (before jitter). */
  readonly maxMs: number;
  /** Fraction of each delay drawn at random: 0 = none, 1 = anywhere from 0 to the delay ("full jitter"). */
  readonly jitter?: number;
  /** A number in [0, 1); tests pass a fixed one. */
  readonly random?: () => number;
}

/**
 * Exponential backoff with jitter, the one retry pacing in Willow: `next()` gives the delay before the next
 * attempt, `reset()` starts over after a success. Jitter keeps instances that failed together from retrying together.
 */
export class Backoff {
  private attempt = 0;

  /** The pacing of Willow's retries after a failure: from WILLOW_RETRY_FIRST_MS doubling up to WILLOW_RETRY_MAX_MS. */
  static retries(timing: { readonly retryFirstMs: number; readonly retryMaxMs: number }, options: Pick<BackoffOptions, 'jitter'> = {}): Backoff {
    return new Backoff({ firstMs: timing.retryFirstMs, maxMs: timing.retryMaxMs, ...options });
  }

  constructor(private readonly options: BackoffOptions) {
    if (!(options.firstMs > 0 && options.maxMs >= options.firstMs)) {
      throw new RangeError(`Backoff needs 0 < firstMs <= maxMs, got ${options.firstMs} and ${options.maxMs}`);
    }
  }

  next(): number {
    const { firstMs, maxMs, jitter = 0.5, random = Math.random } = this.options;
    const ceiling = Math.min(maxMs, firstMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ceiling * (1 - jitter) + ceiling * jitter * random();
  }

  reset(): void {
    this.attempt = 0;
  }
}
