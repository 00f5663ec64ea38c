import type { Client } from 'openapi-fetch';
import { AckSender } from './acks';
import { backoffDelay, sleep, type BackoffOptions } from './backoff';
import { WillowError, isAbort } from './errors';
import type { components, paths } from './generated/schema';
import { call, type Duration } from './http';
import { LeaseKeeper, renewalOf } from './lease';

/** An item handed out by a dequeue: `ID`, `KeyValues`, `Data`, `Attempt`, `Timeout` (lease, ms), `ExpiresAt`. */
export type Delivery<D = components['schemas']['DeliveryResponse']['Data']> = Omit<components['schemas']['DeliveryResponse'], 'Data'> & { Data: D };
export type Query = components['schemas']['Query'];

export interface HandlerContext {
  /** Aborted when the item's lease is lost: cancelled on the server, or run out. Stop the work; it is not acked. */
  signal: AbortSignal;
  /** Renews the lease now (it is also renewed on its own); throws `WillowError` `LEASE_LOST` once it is lost. */
  heartbeat(): Promise<void>;
}

/** Resolves: the item is acked passed. Throws: acked failed, with the message as `Error`. `D` types `item.Data`. */
export type Handler<D = Delivery['Data']> = (item: Delivery<D>, context: HandlerContext) => unknown;

/** Where a reported error came from. */
export type WorkerErrorPhase = 'dequeue' | 'heartbeat' | 'ack' | 'handler';

export interface WorkerOptions {
  /** Which channels to take from (`{Where, MinKeys, MaxKeys, OnlyKeys}`); absent = any. */
  query?: Query;
  /** Handlers running at once (default 1). Above 1, items come through `dequeue-batch`. */
  concurrency?: number;
  /** Batch: `dequeue-batch` when concurrency > 1 and `ack-batch` for acks (default true). */
  batch?: boolean;
  /** Long-poll of each dequeue (default "30s"); `stop()` ends it at once. */
  wait?: Duration;
  /** Waits between failed dequeues (server unreachable, 503...): full jitter, default 100 ms doubling to 5 s. */
  backoff?: BackoffOptions;
  /** Every failure the worker handled: a failed dequeue, heartbeat or ack, or a handler that threw (acked failed). */
  onError?: (error: unknown, info: { phase: WorkerErrorPhase; item?: Delivery; itemId?: string }) => void;
  /** A dequeue that found nothing within `wait`. */
  onIdle?: () => void;
}

export interface Worker {
  /**
   * Processes items until `stop()`; resolves once stopped (handlers finished, acks sent). Call once. Rejects (after
   * the same draining) when a dequeue is refused for good: 400 (a bad query or option), 401, 403.
   */
  run(): Promise<void>;
  /** Takes no new items, waits for running handlers and sends their acks. */
  stop(): Promise<void>;
}

/** Dequeue answers that retrying cannot change; any other failure (unreachable, 503, 404, 410) is retried. */
const REFUSED_FOR_GOOD = new Set([400, 401, 403]);

/** The largest `Error` an ack may carry: 4 KiB of UTF-8. */
export const ACK_ERROR_MAX_BYTES = 4096;

export function ackErrorText(thrown: unknown): string {
  let text = thrown instanceof Error ? thrown.message || thrown.name : String(thrown);
  if (text.length === 0) text = 'failed';
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= ACK_ERROR_MAX_BYTES) return text;
  // Cut on a character boundary: drop a partial trailing sequence decoded as U+FFFD.
  return bytes.subarray(0, ACK_ERROR_MAX_BYTES).toString('utf8').replace(/\uFFFD+$/, '');
}

/** Long-polls a queue and runs `handler` on each item; see `WorkerOptions`. */
export class QueueWorker implements Worker {
  private readonly concurrency: number;
  private readonly acks: AckSender;
  private readonly stopping = new AbortController();
  /** The dequeue in flight: aborted by stop() only while no answer has started to arrive. */
  private poll: { controller: AbortController; answered: boolean } | undefined;
  private readonly running = new Set<Promise<void>>();
  private slotFreed: (() => void) | undefined;
  private started = false;
  private finished: Promise<void> | undefined;

  constructor(
    private readonly api: Client<paths>,
    private readonly queue: string,
    private readonly handler: Handler<any>,
    private readonly options: WorkerOptions = {},
    private readonly fetchImpl: (request: Request) => Promise<Response> = (request) => fetch(request),
  ) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.acks = new AckSender(api, queue, options.batch ?? true, options.backoff ?? {}, (error, itemId) =>
      this.report(error, { phase: 'ack', itemId }),
    );
  }

  run(): Promise<void> {
    if (this.started) throw new Error('Worker.run() may be called once');
    this.started = true;
    this.finished = this.loop();
    return this.finished;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    // An answer that has begun to arrive is read to the end and its items handled: aborting it would lose them
    // until their lease ran out. A dequeue still waiting is ended; the server then hands it nothing.
    if (this.poll && !this.poll.answered) this.poll.controller.abort();
    this.slotFreed?.();
    await this.finished;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let fatal: WillowError | undefined;
    try {
      while (!this.stopping.signal.aborted) {
        if (this.running.size >= this.concurrency) {
          await new Promise<void>((resolve) => (this.slotFreed = resolve));
          this.slotFreed = undefined;
          continue;
        }
        let items: Delivery[];
        try {
          items = await this.dequeue(this.concurrency - this.running.size);
          failures = 0;
        } catch (error) {
          if (this.stopping.signal.aborted && isAbort(error)) break; // the long-poll was ended by stop()
          if (error instanceof WillowError && REFUSED_FOR_GOOD.has(error.status)) {
            fatal = error;
            break;
          }
          this.report(error, { phase: 'dequeue' });
          await sleep(backoffDelay(failures++, this.options.backoff), this.stopping.signal);
          continue;
        }
        if (items.length === 0) this.idle();
        for (const item of items) this.start(item);
      }
    } finally {
      while (this.running.size > 0) await Promise.all([...this.running]);
      await this.acks.drain();
    }
    if (fatal) throw fatal;
  }

  private async dequeue(room: number): Promise<Delivery[]> {
    const poll = { controller: new AbortController(), answered: false };
    this.poll = poll;
    const fetchOnce = async (request: Request) => {
      const response = await this.fetchImpl(new Request(request, { signal: poll.controller.signal }));
      poll.answered = true;
      return response;
    };
    const path = { params: { path: { Name: this.queue } }, fetch: fetchOnce };
    const { query: Query, wait: Wait = '30s' } = this.options;
    if (this.concurrency > 1 && (this.options.batch ?? true)) {
      const body = { Query, Wait, Count: Math.min(100, room) };
      const answer = await call(this.api.POST('/v1/queues/{Name}/items/dequeue-batch', { ...path, body })).finally(() => (this.poll = undefined));
      return answer?.Items ?? [];
    }
    const answer = await call(this.api.POST('/v1/queues/{Name}/items/dequeue', { ...path, body: { Query, Wait } })).finally(() => (this.poll = undefined));
    return answer ? [answer] : [];
  }

  private start(item: Delivery): void {
    const task = this.process(item).finally(() => {
      this.running.delete(task);
      this.slotFreed?.();
    });
    this.running.add(task);
  }

  private async process(item: Delivery): Promise<void> {
    const lease = new LeaseKeeper(
      item.Timeout,
      () => this.renew(item),
      (error) => this.report(error, { phase: 'heartbeat', item }),
    );
    let failure: string | undefined;
    try {
      await this.handler(item, { signal: lease.signal, heartbeat: () => lease.heartbeat() });
    } catch (error) {
      failure = ackErrorText(error);
      if (!lease.lost) this.report(error, { phase: 'handler', item });
    }
    // No ack once the lease is lost: it would be refused, and the item may already be another consumer's.
    if (!(await lease.end())) return;
    const ack = failure === undefined ? { ID: item.ID, Attempt: item.Attempt, Passed: true } : { ID: item.ID, Attempt: item.Attempt, Passed: false, Error: failure };
    // The slot is free once the ack is handed over: the next dequeue overlaps the ack's request. stop() and the end
    // of run() wait for every ack (acks.drain).
    void this.acks.send(ack);
  }

  private async renew(item: Delivery) {
    try {
      await call(this.api.POST('/v1/queues/{Name}/items/{ID}/heartbeat', { params: { path: { Name: this.queue, ID: item.ID } }, body: { Attempt: item.Attempt } }));
      return { kind: 'renewed' } as const;
    } catch (error) {
      return renewalOf(error);
    }
  }

  private report(error: unknown, info: { phase: WorkerErrorPhase; item?: Delivery; itemId?: string }): void {
    if (!this.options.onError) {
      if (info.phase !== 'handler') console.error(`willow worker (${this.queue}) ${info.phase}: ${describe(error)}`);
      return;
    }
    try {
      this.options.onError(error, info);
    } catch (hookError) {
      console.error(`willow worker (${this.queue}): onError threw: ${String(hookError)}`);
    }
  }

  private idle(): void {
    try {
      this.options.onIdle?.();
    } catch (hookError) {
      console.error(`willow worker (${this.queue}): onIdle threw: ${String(hookError)}`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof WillowError ? `${error.code}: ${error.message}` : String(error);
}
