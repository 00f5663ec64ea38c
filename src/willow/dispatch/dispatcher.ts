import { Inject, Injectable, Optional } from '@nestjs/common';
import { ShuttingDownError } from '../../common/errors';
import { matches, type Query } from '../../common/query';
import type { Clock } from '../../common/clock';
import type { Scheduler, Timer } from '../../common/scheduler';
import { CLOCK } from '../../platform/clock.token';
import type { Tags } from '../../common/tags';
import { ShutdownSignal } from '../../platform/lifecycle/shutdown-signal';
import { SCHEDULER } from '../../platform/scheduler.token';
import { QueueIndex, type Channel } from '../domain/dispatch/queue-index';
import { ViewBudget } from '../domain/dispatch/view-budget';
import { WillowEvents } from '../willow-events';
import { KnownQueues } from './known-queues';

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
  /** The queues a dequeue found to exist; a deleted queue leaves with its index (`forget`). */
  readonly knownQueues = new KnownQueues();
  /** Bounds the dispatch views of every queue together (see ViewBudget). */
  private readonly viewBudget = new ViewBudget();
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Rises with every capacity-freed event (see `capacityMark`). */
  private capacityEpoch = 0;
  /** The one due timer: armed for the earliest due time of any channel's first item, over every queue. */
  private dueTimer: { readonly at: number; readonly timer: Timer } | null = null;
  private readonly timing = { now: () => this.clock.now(), scheduled: (dueAt: number) => this.armDue(dueAt) };

  constructor(
    private readonly shutdown: ShutdownSignal,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly events: WillowEvents = new WillowEvents(),
  ) {
    // One listener for every wait and the due timer: the process stopping ends the waits with SHUTTING_DOWN.
    const endAll = () => {
      this.dueTimer?.timer.cancel();
      for (const queue of [...this.waiters.keys()]) this.failWaiters(queue, new ShuttingDownError());
    };
    shutdown.signal.addEventListener('abort', endAll, { once: true });
  }

  index(queue: string): QueueIndex {
    let index = this.indexes.get(queue);
    if (!index) this.indexes.set(queue, (index = new QueueIndex(this.viewBudget, this.timing)));
    return index;
  }

  peekIndex(queue: string): QueueIndex | undefined {
    return this.indexes.get(queue);
  }

  forget(queue: string): void {
    this.knownQueues.forget(queue);
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

  /** Whether a consumer of `queue` is waiting on this instance. */
  hasWaiters(queue: string): boolean {
    return (this.waiters.get(queue)?.size ?? 0) > 0;
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
      for (const channel of index.release(freed)) {
        this.events.channel('channel.unblocked', queue, channel);
        this.wake(queue, channel);
      }
    }
  }

  /**
   * DESIGN §7.8: a channel whose first item is not yet due hands out nothing until it is. One timer, armed for the
   * earliest due time the indexes reported, turns those channels ready and wakes their consumers; nothing polls.
   */
  private armDue(dueAt: number): void {
    if (this.shutdown.shuttingDown || (this.dueTimer && this.dueTimer.at <= dueAt)) return;
    this.dueTimer?.timer.cancel();
    this.dueTimer = { at: dueAt, timer: this.scheduler.after(dueAt - this.clock.now(), () => this.fireDue()) };
  }

  private fireDue(): void {
    this.dueTimer = null;
    const now = this.clock.now();
    let next: number | null = null;
    for (const [queue, index] of this.indexes) {
      for (const channel of index.releaseDue(now)) this.wake(queue, channel);
      const at = index.nextDueAt();
      if (at !== null && (next === null || at < next)) next = at;
    }
    if (next !== null) this.armDue(next);
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
