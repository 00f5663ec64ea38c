import { Logger } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { Backoff, type Scheduler } from '../../common/scheduler';
import type { Timing } from '../../config';
import type { RpcCaller } from '../../platform/transport/rpc-caller';
import { LimiterPatterns, type CapacityFreed } from '../limiter.port';
import type { EventsPage } from './capacity-log';

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
    private readonly time: { scheduler: Scheduler; timing: Timing },
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
    const { timing, scheduler } = this.time;
    const pollWaitMs = timing.eventsPollMs;
    const backoff = Backoff.retries(timing);
    while (!this.stop.signal.aborted) {
      try {
        const page: EventsPage | undefined = await this.rpc.call<EventsPage | undefined>(
          LimiterPatterns.events,
          { cursor, waitMs: connected ? pollWaitMs : 0 },
          { waitMs: pollWaitMs, signal: this.stop.signal },
        );
        if (!page) continue;
        if (!connected) {
          connected = true;
          backoff.reset();
          this.subject.next({ tags: null });
        }
        cursor = page.cursor;
        for (const event of page.events) this.subject.next(event);
      } catch (error) {
        if (connected) this.logger.warn({ err: error }, 'capacity events lost; retrying');
        connected = false;
        await scheduler.sleep(backoff.next(), this.stop.signal);
      }
    }
  }
}
