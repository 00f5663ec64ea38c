import { Logger } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { RpcCaller } from '../../platform/transport/rpc-caller';
import { LimiterPatterns, type CapacityFreed } from '../limiter.port';
import type { EventsPage } from './capacity-log';

const POLL_WAIT_MS = 20_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * The consuming side of `capacityFreed$` over TCP (no server push): one long-poll of `limiter.events` at a time, forever.
 * Whenever the feed (re)connects it first emits `{tags: null}`, so waiters blocked during an outage check again.
 */
export class CapacityFeed {
  private readonly logger = new Logger(CapacityFeed.name);
  private readonly subject = new Subject<CapacityFreed>();
  private readonly stop = new AbortController();
  readonly events$: Observable<CapacityFreed> = this.subject.asObservable();

  constructor(
    private readonly rpc: RpcCaller,
    private readonly pollWaitMs = POLL_WAIT_MS,
  ) {}

  start(): void {
    void this.run();
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.subject.complete();
    await this.rpc.close();
  }

  private async run(): Promise<void> {
    let cursor: string | null = null;
    let connected = false;
    let retryMs = RETRY_MIN_MS;
    while (!this.stop.signal.aborted) {
      try {
        const page: EventsPage | undefined = await this.rpc.call<EventsPage | undefined>(
          LimiterPatterns.events,
          { cursor, waitMs: connected ? this.pollWaitMs : 0 },
          { waitMs: this.pollWaitMs, signal: this.stop.signal },
        );
        if (!page) continue;
        if (!connected) {
          connected = true;
          retryMs = RETRY_MIN_MS;
          this.subject.next({ tags: null });
        }
        cursor = page.cursor;
        for (const event of page.events) this.subject.next(event);
      } catch (error) {
        if (connected) this.logger.warn({ err: error }, 'capacity events lost; retrying');
        connected = false;
        await sleep(retryMs, this.stop.signal);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
