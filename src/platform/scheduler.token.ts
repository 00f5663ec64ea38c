/** Injection token of the `Scheduler` (common/scheduler.ts); tests bind a FakeScheduler. */
export const SCHEDULER = Symbol('Scheduler');
