import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Aborted when the application starts shutting down, so long-polls end with 503 SHUTTING_DOWN instead of holding
 * the process open.
 */
@Injectable()
export class ShutdownSignal implements BeforeApplicationShutdown {
  private readonly controller = new AbortController();

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get shuttingDown(): boolean {
    return this.controller.signal.aborted;
  }

  beforeApplicationShutdown(): void {
    this.controller.abort();
  }
}
