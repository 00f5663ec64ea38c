import { Inject, Injectable, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { systemScheduler, type Scheduler } from '../../common/scheduler';
import { CONFIG, DEFAULT_TIMING, type Config } from '../../config';
import { SCHEDULER } from '../scheduler.token';

/**
 * Aborted when the application starts shutting down, so long-polls end with 503 SHUTTING_DOWN instead of holding
 * the process open.
 *
 * Nest runs `beforeApplicationShutdown` hooks before it closes the HTTP server, and closing it destroys every open
 * socket (`forceCloseConnections`), so the hook also waits, up to `timing.drainMs`, until every response in
 * flight has been written: otherwise a waiter would see its connection reset instead of its 503.
 */
@Injectable()
export class ShutdownSignal implements BeforeApplicationShutdown {
  private readonly controller = new AbortController();
  private readonly inFlight = new Set<ServerResponse>();
  private onDrained: (() => void) | null = null;

  /** Both optional: a signal alone (no shutdown hook run) is what many collaborators' tests need. */
  constructor(
    @Optional() @Inject(SCHEDULER) private readonly scheduler: Scheduler = systemScheduler,
    @Optional() @Inject(CONFIG) private readonly config: Pick<Config, 'timing'> = { timing: DEFAULT_TIMING },
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get shuttingDown(): boolean {
    return this.controller.signal.aborted;
  }

  /** Counts `res` as in flight until it has been written or its connection has closed. */
  track(res: ServerResponse): void {
    if (res.writableFinished || res.destroyed) return;
    this.inFlight.add(res);
    res.once('close', () => {
      this.inFlight.delete(res);
      if (this.inFlight.size === 0) this.onDrained?.();
    });
  }

  /** Resolves once no tracked response is in flight, or after `deadlineMs`. */
  drain(deadlineMs: number): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        timer.cancel();
        this.onDrained = null;
        resolve();
      };
      const timer = this.scheduler.after(deadlineMs, done);
      this.onDrained = done;
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.controller.abort();
    await this.drain(this.config.timing.drainMs);
  }
}
