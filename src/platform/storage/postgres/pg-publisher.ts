import { Client, type ClientConfig, type QueryConfig } from 'pg';

/** At most this many notifications per statement (they are sent together, in one transaction). */
const MAX_BATCH = 500;

/**
 * Sends notifications after the writes they announce have committed, over one dedicated connection, many per
 * statement. A NOTIFY inside a write transaction makes every such commit wait for the previous one (PostgreSQL
 * queues notifications in commit order under one lock held until the commit is flushed), which serialises the hot
 * path; sent here instead, writes commit together and one short transaction (commit not waited for: a notification is
 * not data) carries the announcements of all of them. The price: a process that dies between a commit and its
 * publication loses that announcement, so listeners must also catch up on their own (see IndexSync).
 * A batch that cannot be sent (the database is away) is dropped: listeners resync when their connection returns.
 */
export class PgPublisher {
  private pending: Array<{ readonly channel: string; readonly payload: string }> = [];
  private client: Client | null = null;
  /** The flush in progress (or scheduled), if any. */
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly onDropped: (error: unknown, count: number) => void,
  ) {}

  publish(channel: string, payload: string): void {
    if (this.closed) return;
    this.pending.push({ channel, payload });
    // Started once the current turn is over (setImmediate: after its promise callbacks and the rest of its I/O
    // callbacks), so what else is published in it joins the first batch: a write's announcement and the events its
    // callers emit once it resolves go in one statement, not two (a microtask started the batch before the events).
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  /**
   * Sends everything pending, batch after batch; what is published meanwhile joins the next batch. Never throws, and
   * clears `flushing` in the same turn as it finds nothing left, so no publication is left behind.
   */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        const client = await this.connect();
        await client.query(notifyStatement(batch));
      } catch (error) {
        this.drop();
        this.onDropped(error, batch.length);
      }
    }
    this.flushing = null;
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ ...this.config, options: [this.config.options, '-c synchronous_commit=off'].filter(Boolean).join(' ') });
    client.on('error', () => {
      if (this.client === client) this.drop();
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    void client?.end().catch(() => undefined);
  }
}

/** Separates the notifications of a batch in one text parameter: JSON never holds it unescaped, nor does a channel name. */
const SEPARATOR = '\u001e';

/**
 * The statement sending `batch`, in order. Channels and payloads go as two texts split by the database, which the
 * driver sends as they are; as text arrays, it would escape every quote of every JSON payload first (a tenth of a
 * batch enqueue's server time on PostgreSQL). A batch holding the separator goes as arrays.
 */
function notifyStatement(batch: ReadonlyArray<{ readonly channel: string; readonly payload: string }>): QueryConfig {
  const channels = batch.map((n) => n.channel);
  const payloads = batch.map((n) => n.payload);
  // (An empty payload would also vanish: an empty text splits into no element at all.)
  if (batch.some((n) => n.channel.includes(SEPARATOR) || n.payload === '' || n.payload.includes(SEPARATOR))) {
    return { text: 'SELECT pg_notify(n.channel, n.payload) FROM unnest($1::text[], $2::text[]) AS n(channel, payload)', values: [channels, payloads] };
  }
  // The usual statement, one per batch, is prepared once on the connection (PostgresStorage.query's `name`).
  return {
    name: 'willow_notify_batch',
    text: `SELECT pg_notify(n.channel, n.payload)
       FROM unnest(string_to_array($1, $3), string_to_array($2, $3)) AS n(channel, payload)`,
    values: [channels.join(SEPARATOR), payloads.join(SEPARATOR), SEPARATOR],
  };
}
