import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Clock } from '../../common/clock';
import type { Scheduler } from '../../common/scheduler';
import { CONFIG, type Config } from '../../config';
import { CLOCK } from '../clock.token';
import { ShutdownSignal } from '../lifecycle/shutdown-signal';
import { SCHEDULER } from '../scheduler.token';
import type { EventFilter } from './event-filter';
import { EventHub } from './event-hub';
import { SseStream } from './sse-stream';

/** The open event streams of this process; all of them end cleanly when shutdown starts. */
@Injectable()
export class EventStreams implements OnModuleInit {
  private readonly open = new Set<SseStream>();

  constructor(
    private readonly hub: EventHub,
    private readonly shutdown: ShutdownSignal,
    @Inject(SCHEDULER) private readonly scheduler: Scheduler,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Pick<Config, 'timing' | 'eventsBuffer'>,
  ) {}

  onModuleInit(): void {
    this.shutdown.signal.addEventListener('abort', () => [...this.open].forEach((s) => s.end()), { once: true });
  }

  get size(): number {
    return this.open.size;
  }

  /** Streams the events that pass `filter` to `res` from now on (an ended response is left alone). */
  start(res: ServerResponse, filter: EventFilter): void {
    let unsubscribe = () => {};
    const stream = new SseStream(res, {
      filter,
      bufferSize: this.config.eventsBuffer,
      heartbeatMs: this.config.timing.eventsHeartbeatMs,
      scheduler: this.scheduler,
      now: () => this.clock.now(),
      onEnd: () => {
        unsubscribe();
        this.open.delete(stream);
      },
    });
    if (this.shutdown.shuttingDown) return stream.end();
    this.open.add(stream);
    unsubscribe = this.hub.subscribe((event) => stream.offer(event));
  }
}
