import { Client, type ClientConfig } from 'pg';
import { Backoff, type Scheduler, type Timer } from '../../../common/scheduler';
import type { Timing } from '../../../config';

export interface ChannelHandler {
  message(payload: string): void;
  /** The connection was (re)established: anything sent while it was down was missed. */
  resync(): void;
}

/**
 * One dedicated connection that LISTENs on every channel a module asked for, reconnecting with backoff when the
 * database goes away. After every reconnect each handler's `resync` runs, because NOTIFY is not queued for absent
 * listeners.
 */
export class PgListener {
  private readonly handlers = new Map<string, ChannelHandler[]>();
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private retryTimer: Timer | null = null;
  private readonly backoff: Backoff;

  constructor(
    private readonly config: ClientConfig,
    private readonly scheduler: Scheduler,
    timing: Pick<Timing, 'retryFirstMs' | 'retryMaxMs'>,
  ) {
    this.backoff = Backoff.retries(timing);
  }

  async listen(channel: string, handler: ChannelHandler): Promise<void> {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler);
    this.handlers.set(channel, list);
    await this.connect();
    if (list.length === 1 && this.client) await this.client.query(`LISTEN "${channel}"`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retryTimer?.cancel();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new Client(this.config);
    client.on('notification', (msg) => {
      for (const handler of this.handlers.get(msg.channel) ?? []) handler.message(msg.payload ?? '');
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN "${channel}"`);
    this.client = client;
  }

  private lost(client: Client): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    void client.end().catch(() => undefined);
    this.backoff.reset();
    this.reconnect();
  }

  private reconnect(): void {
    if (this.closed) return;
    this.retryTimer = this.scheduler.after(this.backoff.next(), () => {
      this.retryTimer = null;
      this.connect().then(
        () => {
          for (const list of this.handlers.values()) for (const handler of list) handler.resync();
        },
        () => this.reconnect(),
      );
    });
  }
}
