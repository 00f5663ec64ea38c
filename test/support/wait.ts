export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` (a test-side observation, not the server's mechanism) until it holds or `timeoutMs` passes. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

/** What `time.pending` says about the server: a long-poll that parked has armed its Wait timer there. */
export interface ArmedTimers {
  readonly pending: number;
}

/**
 * Starts a long-poll and resolves once it has parked on a server whose timers are `time` (a FakeScheduler): one more
 * timer armed, its Wait. The answer is wrapped so the caller decides when to await it.
 */
export async function parked<T>(time: ArmedTimers, start: () => Promise<T>): Promise<{ answer: Promise<T> }> {
  const before = time.pending;
  const answer = start();
  await Promise.race([
    waitUntil(async () => time.pending > before),
    answer.then((value) => Promise.reject(new Error(`answered before parking: ${JSON.stringify(value)}`.slice(0, 500)))),
  ]);
  return { answer };
}
