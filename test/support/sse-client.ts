import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { waitUntil } from './wait';

/** One frame of an event stream as a client reads it: an event (`event` defaults to "message") or a comment. */
export interface SseFrame {
  readonly event: string;
  readonly data: Record<string, unknown> | null;
  readonly comment: string | null;
}

/**
 * A real HTTP client of `GET /v1/events`, reading the stream as it comes (or not at all, with `pause`), so tests see
 * what a consumer sees: frames in order, comments included, and the end of the stream.
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  /** The server ended the stream (the response completed), as opposed to a reset. */
  ended = false;
  closed = false;
  private rest = '';
  private constructor(
    private readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.read(chunk));
    res.on('end', () => (this.ended = true));
    res.on('close', () => (this.closed = true));
  }

  /** Opens a stream and resolves once its first frame (the `connected` comment) has arrived, unless `paused`. */
  static async open(url: string, opts: { paused?: boolean } = {}): Promise<SseClient> {
    const { req, res } = await new Promise<{ req: ClientRequest; res: IncomingMessage }>((resolve, reject) => {
      const req = get(url, (res) => resolve({ req, res }));
      req.on('error', reject);
    });
    if (res.statusCode !== 200) throw new Error(`event stream answered ${res.statusCode}`);
    if (opts.paused) res.pause();
    const client = new SseClient(req, res);
    if (!opts.paused) await waitUntil(async () => client.frames.length > 0, 5_000);
    return client;
  }

  /** The events received so far (comments left out). */
  get events(): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.data !== null && f.event === 'message').map((f) => f.data!);
  }

  async waitForEvents(n: number, timeoutMs = 1_000): Promise<Array<Record<string, unknown>>> {
    await waitUntil(async () => this.events.length >= n, timeoutMs).catch(() => undefined);
    return this.events;
  }

  resume(): void {
    this.res.resume();
  }

  close(): void {
    this.req.destroy();
  }

  private read(chunk: string): void {
    this.rest += chunk;
    for (let end = this.rest.indexOf('\n\n'); end >= 0; end = this.rest.indexOf('\n\n')) {
      const block = this.rest.slice(0, end);
      this.rest = this.rest.slice(end + 2);
      let event = 'message';
      let data: string | null = null;
      let comment: string | null = null;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data = (data === null ? '' : `${data}\n`) + line.slice(6);
      }
      this.frames.push({ event, data: data === null ? null : (JSON.parse(data) as Record<string, unknown>), comment });
    }
  }
}
