import { Inject, Injectable } from '@nestjs/common';
import { ShuttingDownError } from '../../common/errors';
import { matches, type Query } from '../../common/query';
import type { Scheduler } from '../../common/scheduler';
import type { Tags } from '../../common/tags';
import { ShutdownSignal } from '../../platform/lifecycle/shutdown-signal';
import { SCHEDULER } from '../../platform/scheduler.token';
import { QueueIndex, type Channel } from '../domain/dispatch/queue-index';
import { ViewBudget } from '../domain/dispatch/view-budget';

interface Waiter {
  readonly query: Query;
  wake(): void;
  fail(error: Error): void;
}

export type WaitOutcome = 'woken' | 'timeout' | 'aborted';

/**
 * The in-memory side of dispatch shared by the item and admin services: one QueueIndex per queue and the consumers
 * waiting on it. Waiters are woken by events (enqueue, retry, give-back, capacity freed), never by polling.
 */
@Injectable()
export class Dispatcher {
  private readonly indexes = new Map<string, QueueIndex>();
  /** Bounds the dispatch views of every queue together (see ViewBudget). */
  private readonly viewBudget = new ViewBudget();
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Rises with every capacity-freed event (see `capacityMark`). */
  private capacityEpoch = 0;

  constructor(
    private readonly shutdown: ShutdownSignal,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
  ) {
    // One listener for every wait: the process stopping ends them all with SHUTTING_DOWN.
    const endAll = () => {
      for (const queue of [...this.waiters.keys()]) this.failWaiters(queue, new ShuttingDownError());
    };
    shutdown.signal.addEventListener('abort', endAll, { once: true });
  }

  index(queue: string): QueueIndex {
    let index = this.indexes.get(queue);
    if (!index) this.indexes.set(queue, (index = new QueueIndex(this.viewBudget)));
    return index;
  }

  peekIndex(queue: string): QueueIndex | undefined {
    return this.indexes.get(queue);
  }

  forget(queue: string): void {
    this.indexes.get(queue)?.dispose();
    this.indexes.delete(queue);
  }

  /** Every queue's index. */
  entries(): IterableIterator<[string, QueueIndex]> {
    return this.indexes.entries();
  }

  /** Queues that have consumers waiting now. */
  queuesWithWaiters(): string[] {
    return [...this.waiters.keys()];
  }

  /**
   * Pauses or resumes hand-outs of `queue` (its index answers no channel while paused). Resuming wakes every consumer
   * waiting on the queue, so they are served at once; nothing polls.
   */
  setPaused(queue: string, paused: boolean): void {
    const index = paused ? this.index(queue) : this.peekIndex(queue);
    if (!index || index.paused === paused) return;
    index.paused = paused;
    if (!paused) for (const waiter of [...(this.waiters.get(queue) ?? [])]) waiter.wake();
  }

  /** Wakes every consumer of `queue` whose query matches the channel that became ready (none while it is paused). */
  wake(queue: string, channel: Channel): void {
    if (!channel.ready || this.indexes.get(queue)?.paused) return;
    const waiters = this.waiters.get(queue);
    if (!waiters) return;
    for (const waiter of [...waiters]) if (matches(waiter.query, channel.tags)) waiter.wake();
  }

  /** A mark to pass to `capacityFreedSince`: take it before asking the Limiter. */
  capacityMark(): number {
    return this.capacityEpoch;
  }

  /**
   * Whether a capacity-freed event arrived after `mark` was taken. A refusal that raced with one may be stale, and the
   * event that would have released the channel has passed, so it is retried instead of blocking.
   */
  capacityFreedSince(mark: number): boolean {
    return this.capacityEpoch !== mark;
  }

  /** Capacity may have returned for counters holding `freed` (null: limits changed): unblock and wake. */
  capacityFreed(freed: Tags | null): void {
    this.capacityEpoch++;
    for (const [queue, index] of this.indexes) {
      for (const channel of index.release(freed)) this.wake(queue, channel);
    }
  }

  /** Ends every wait on `queue` with `error` (queue deleted). */
  failWaiters(queue: string, error: Error): void {
    for (const waiter of [...(this.waiters.get(queue) ?? [])]) waiter.fail(error);
  }

  /** Waits until a channel matching `query` may have work, `ms` passes, or `signal` aborts. */
  waitForWork(queue: string, query: Query, ms: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.shutdown.shuttingDown) return Promise.reject(new ShuttingDownError());
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise<WaitOutcome>((resolve, reject) => {
      let set = this.waiters.get(queue);
      if (!set) this.waiters.set(queue, (set = new Set()));
      const waiters = set;
      const done = (settle: () => void) => {
        if (!waiters.delete(waiter)) return;
        if (waiters.size === 0) this.waiters.delete(queue);
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const waiter: Waiter = {
        query,
        wake: () => done(() => resolve('woken')),
        fail: (error) => done(() => reject(error)),
      };
      const onAbort = () => done(() => resolve('aborted'));
      const timer = this.scheduler.after(ms, () => done(() => resolve('timeout')));
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });
  }
}
