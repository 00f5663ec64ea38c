/** Exponential backoff with full jitter: attempt n waits a random time in [0, min(maxMs, firstMs * 2^n)). */
export interface BackoffOptions {
  /** Ceiling of the first wait, ms (default 100). */
  firstMs?: number;
  /** Largest wait, ms (default 5000). */
  maxMs?: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const first = options.firstMs ?? 100;
  const max = options.maxMs ?? 5_000;
  const ceiling = Math.min(max, first * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(Math.random() * ceiling));
}

/** Resolves after `ms`, or at once when `signal` aborts; the timer never outlives either. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
