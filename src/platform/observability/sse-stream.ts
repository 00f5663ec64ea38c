import type { ServerResponse } from 'node:http';
import type { Scheduler, Timer } from '../../common/scheduler';
import { eventJson, passes, type EventFilter } from './event-filter';
import type { ObservedEvent } from './observer.port';
import { SendBuffer } from './send-buffer';

export interface SseOptions {
  readonly filter: EventFilter;
  /** Frames kept for a client whose socket is full; one more drops the client (see SendBuffer). */
  readonly bufferSize: number;
  readonly heartbeatMs: number;
  readonly scheduler: Scheduler;
  readonly now: () => number;
  /** Called once when the stream has ended, for whatever reason. */
  readonly onEnd: () => void;
}

/** How long an ended stream may take to flush to a client that does not read before its socket is destroyed. */
const FLUSH_GRACE_MS = 30_000;

/**
 * One Server-Sent Events client. Frames go straight to the socket while it takes them; while it is full they wait in
 * a bounded buffer, and a client that lets the buffer fill is sent a last `event: overflow` and dropped, so a slow
 * reader never holds memory or slows the server. A comment line every `heartbeatMs` keeps proxies from closing an
 * idle stream.
 */
export class SseStream {
  private readonly buffer: SendBuffer;
  private readonly heartbeat: Timer;
  /** The socket took more than its high-water mark: frames wait in `buffer` until it drains. */
  private full = false;
  private flushing = false;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseOptions,
  ) {
    this.buffer = new SendBuffer(opts.bufferSize);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.on('drain', () => this.drain());
    res.once('close', () => this.finish());
    this.heartbeat = opts.scheduler.every(opts.heartbeatMs, () => this.full || this.ended || this.buffer.size > 0 || this.write(': heartbeat\n\n'));
    this.write(': connected\n\n');
  }

  /** Frames are written once per turn of the event loop, together: a batch of 1000 items is one socket write. */
  offer(event: ObservedEvent): void {
    if (this.ended || !passes(this.opts.filter, event)) return;
    if (!this.buffer.push(`data: ${eventJson(event)}\n\n`)) return this.drop();
    if (this.full || this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /** Ends the stream (shutdown): what was sent stays sent. */
  end(): void {
    if (this.ended) return;
    this.finish();
    this.res.end();
  }

  private write(frame: string): void {
    if (!this.res.write(frame)) this.full = true;
  }

  private flush(): void {
    this.flushing = false;
    if (this.ended || this.full) return;
    const text = this.buffer.take();
    if (text) this.write(text);
  }

  private drain(): void {
    this.full = false;
    this.flush();
  }

  private drop(): void {
    const body = JSON.stringify({ Type: 'overflow', Message: `more than ${this.opts.bufferSize} events were waiting for this client; reconnect`, At: new Date(this.opts.now()).toISOString() });
    this.finish();
    this.res.end(`event: overflow\ndata: ${body}\n\n`);
    const grace = this.opts.scheduler.after(FLUSH_GRACE_MS, () => this.res.destroy());
    this.res.once('finish', () => grace.cancel());
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.heartbeat.cancel();
    this.opts.onEnd();
  }
}
