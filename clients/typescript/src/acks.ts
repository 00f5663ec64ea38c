import type { Client } from 'openapi-fetch';
import { backoffDelay, sleep, type BackoffOptions } from './backoff';
import { WillowError, isTransient } from './errors';
import type { paths } from './generated/schema';
import { call } from './http';

export interface Ack {
  ID: string;
  Attempt: number;
  Passed: boolean;
  Error?: string;
}

/** Failed attempts at sending one set of acks before giving up on it (the leases then run out on the server). */
const SEND_ATTEMPTS = 6;
const ACK_BATCH_MAX = 1000;

/**
 * Sends acks. Batched: the first ack goes out at once (after the current turn of the event loop, so acks of
 * handlers that finish together share a request) and those that arrive meanwhile wait for it, then go together
 * (group commit), at most 1000 per `ack-batch`. Unbatched: one `ack` per item. An ack that got no answer is sent
 * again (the `Attempt` fences it, so a resend can never settle another delivery); one the server refuses (404,
 * 409 LEASE_LOST) is reported through `onError`, never retried.
 */
export class AckSender {
  private pending: Array<{ ack: Ack; done: () => void }> = [];
  private flushing: Promise<void> | undefined;
  private kick: ReturnType<typeof setImmediate> | undefined;
  private readonly singles = new Set<Promise<void>>();

  constructor(
    private readonly api: Client<paths>,
    private readonly queue: string,
    private readonly batch: boolean,
    private readonly backoff: BackoffOptions,
    private readonly onError: (error: unknown, itemId: string) => void,
  ) {}

  /** Resolves once the ack has been answered (whatever the answer) or given up on. */
  send(ack: Ack): Promise<void> {
    if (!this.batch) {
      const sent = this.withRetries([ack], () => this.single(ack)).finally(() => this.singles.delete(sent));
      this.singles.add(sent);
      return sent;
    }
    return new Promise((done) => {
      this.pending.push({ ack, done });
      if (!this.flushing && !this.kick) this.kick = setImmediate(() => this.startFlush());
    });
  }

  /** Waits until every ack handed to `send` has been answered or given up on. */
  async drain(): Promise<void> {
    while (this.singles.size > 0) await Promise.all([...this.singles]);
    while (this.flushing || this.kick || this.pending.length > 0) {
      if (this.kick) {
        clearImmediate(this.kick);
        this.startFlush();
      }
      await this.flushing;
    }
  }

  private startFlush(): void {
    this.kick = undefined;
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = this.flushAll().finally(() => (this.flushing = undefined));
  }

  private async flushAll(): Promise<void> {
    while (this.pending.length > 0) {
      const chunk = this.pending.splice(0, ACK_BATCH_MAX);
      await this.withRetries(
        chunk.map((p) => p.ack),
        () => this.many(chunk.map((p) => p.ack)),
      );
      for (const p of chunk) p.done();
    }
  }

  private async single(ack: Ack): Promise<void> {
    const { ID, ...body } = ack;
    try {
      await call(this.api.POST('/v1/queues/{Name}/items/{ID}/ack', { params: { path: { Name: this.queue, ID } }, body }));
    } catch (error) {
      if (isTransient(error)) throw error;
      this.onError(error, ID);
    }
  }

  private async many(acks: Ack[]): Promise<void> {
    const answer = await call(this.api.POST('/v1/queues/{Name}/items/ack-batch', { params: { path: { Name: this.queue } }, body: { Acks: acks } }));
    for (const result of answer.Results) {
      if (result.Status !== 200) {
        this.onError(WillowError.fromBody(result.Status, { Code: result.Code, Message: result.Message }), result.ID);
      }
    }
  }

  private async withRetries(acks: Ack[], send: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (!isTransient(error) || attempt + 1 >= SEND_ATTEMPTS) {
          for (const ack of acks) this.onError(error, ack.ID);
          return;
        }
        await sleep(backoffDelay(attempt, this.backoff));
      }
    }
  }
}
