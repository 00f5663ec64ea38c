import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Client, Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { Backoff, systemScheduler, type Scheduler } from '../../../common/scheduler';
import { DEFAULT_TIMING, type Timing } from '../../../config';
import type { Migration } from '../sqlite/embedded-storage';
import { Admission } from './admission';
import { inlineParams } from './inline-params';
import { PgChannel, type ChannelBus, type ChannelDef, type Sending, type Tx } from './pg-channel';
import { PgFence } from './pg-fence';
import { PgListener } from './pg-listener';
import { PgPublisher } from './pg-publisher';
import { isRetryable, mapPgError } from './pg-errors';
import { secondsSince } from '../../../common/clock';

export interface PostgresOptions {
  /** A postgres:// connection URL. */
  readonly url: string;
  /** Schema holding every module's tables; created when missing. */
  readonly schema: string;
  readonly poolSize: number;
  /** Paces the retries below and the listener's reconnects (the system's unless a test drives time). */
  readonly scheduler?: Scheduler;
  readonly timing?: Pick<Timing, 'retryFirstMs' | 'retryMaxMs'>;
}

export type { Tx };

/**
 * `text` as a statement prepared once per connection under `name` (node-postgres's named statements), for a
 * transaction's `sql.query`; `PostgresStorage.query` takes the name as its third argument. A prepared statement is
 * parsed once, and PostgreSQL plans it once too when its plan does not depend on the values (it compares its first
 * five plans with the generic one), where an unnamed statement is parsed and planned at every call: for the statements
 * of hot paths, whose text is fixed. A name stands for one text: node-postgres refuses another under it.
 */
export function prepared(name: string, text: string, values: readonly unknown[]): QueryConfig {
  return { name, text, values: values as unknown[] };
}

/** $1 channel, $2 payloads (text[]): a transaction's notifications, delivered when it commits. */
const NOTIFY_IN_TX = 'SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p';

/** How often a transaction that lost a serialization or deadlock race is run again before the error is answered. */
const MAX_ATTEMPTS = 8;
/** Between those runs: a few milliseconds, at random (full jitter), so the racing transactions spread out. */
const RACE_BACKOFF = { firstMs: 2, maxMs: 64, jitter: 1 } as const;

/**
 * The PostgreSQL store shared by several Willow instances: one pool per instance, each module owning its own tables
 * (prefixed with the module name) in one schema, migrated on start under an advisory lock so instances starting
 * together migrate once. Cross-instance events travel over LISTEN/NOTIFY on typed channels (`channel`, see PgChannel)
 * scoped to the schema.
 */
export class PostgresStorage {
  readonly kind = 'postgres' as const;
  /** Names this process in the database (lease owners, waiter rows, the origin of notifications). */
  readonly instanceId = randomUUID();
  /** The schema's part of every channel name (a hash, computed once). */
  private schemaTag: string | undefined;
  readonly pool: Pool;
  private readonly listener: PgListener;
  private readonly publisher: PgPublisher;
  /** Checkouts beyond the pool's size wait here, in order, however long: the pool's connection timeout is then only
   * ever spent connecting, so a busy pool is never mistaken for an unreachable database. */
  private readonly admission: Admission;
  private readonly lockKey: string;
  private readonly scheduler: Scheduler;
  /** Per open transaction (by its connection): what channels asked to send once it commits. */
  private readonly onCommit = new WeakMap<object, Array<readonly [string, string]>>();
  /** Per open transaction (by its connection): statements sent with its COMMIT (`sendWithCommit`). */
  private readonly closing = new WeakMap<object, string[]>();
  private readonly bus: ChannelBus = {
    instanceId: this.instanceId,
    send: (when, name, payloads) => this.send(when, name, payloads),
    listen: (name, handler) => this.listener.listen(this.scoped(name), handler),
  };
  private closed = false;
  private observeCommit: ((seconds: number) => void) | null = null;

  constructor(readonly options: PostgresOptions) {
    this.pool = new Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      options: `-c search_path=${options.schema}`,
    });
    // An idle connection dropped by the server must not crash the process; the next checkout reconnects.
    this.pool.on('error', () => undefined);
    this.admission = new Admission(options.poolSize);
    this.scheduler = options.scheduler ?? systemScheduler;
    this.listener = new PgListener({ connectionString: options.url }, this.scheduler, options.timing ?? DEFAULT_TIMING);
    this.publisher = new PgPublisher({ connectionString: options.url, connectionTimeoutMillis: 3_000 }, (error, count) =>
      new Logger(PostgresStorage.name).warn({ err: error }, `${count} notification(s) could not be sent; listeners catch up`),
    );
    this.lockKey = `willow.migrate.${options.schema}`;
  }

  /** Creates the schema and the migrations table; once per process, before any module migrates. */
  async open(): Promise<void> {
    await this.tx(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      await sql.query(`CREATE SCHEMA IF NOT EXISTS ${this.options.schema}`);
      await sql.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        module TEXT NOT NULL, id TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (module, id))`);
    });
  }

  /**
   * Applies `module`'s migrations that have not run yet, in order, in one transaction holding an advisory lock: when
   * several instances start together on an empty database, one migrates and the others find the work done.
   */
  async migrate(module: string, migrations: readonly Migration[]): Promise<void> {
    await this.tx(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      const { rows } = await sql.query<{ id: string }>('SELECT id FROM schema_migrations WHERE module = $1', [module]);
      const applied = new Set(rows.map((r) => r.id));
      for (const m of migrations) {
        if (applied.has(m.id)) continue;
        await sql.query(m.sql);
        await sql.query('INSERT INTO schema_migrations (module, id) VALUES ($1, $2)', [module, m.id]);
      }
    });
  }

  /**
   * Runs `fn` in one transaction (READ COMMITTED unless `fn` says otherwise). A serialization failure or deadlock
   * runs it again from the start, so callers never see one; an unreachable database is STORE_UNAVAILABLE.
   *
   * `opening`: statements without parameters (see `inlineParams`) sent with the BEGIN in one round trip, each run
   * with its own snapshot as if sent alone; `fn` gets their rows. Each round trip saved is a socket write and a wait
   * for the database on every transaction.
   */
  async tx<T>(fn: (sql: Tx, opened: ReadonlyArray<readonly QueryResultRow[]>) => Promise<T>, opening: readonly string[] = []): Promise<T> {
    let backoff: Backoff | undefined;
    for (let attempt = 1; ; attempt++) {
      await this.admission.enter();
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        this.admission.leave();
        throw mapPgError(error);
      }
      let broken = false;
      const pending: Array<readonly [string, string]> = [];
      this.onCommit.set(client, pending);
      const closing: string[] = [];
      this.closing.set(client, closing);
      try {
        const started = process.hrtime.bigint();
        const result = await fn(client, await begin(client, opening));
        // With the statements `fn` left for it, in one simple query: should one fail, the rest and the COMMIT are
        // skipped, and the ROLLBACK below ends the transaction.
        await client.query([...closing, 'COMMIT'].join(';\n'));
        this.observeCommit?.(secondsSince(started));
        for (const [channel, payload] of pending) this.publisher.publish(channel, payload);
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (isRetryable(error) && attempt < MAX_ATTEMPTS) {
          await this.scheduler.sleep((backoff ??= new Backoff(RACE_BACKOFF)).next());
          continue;
        }
        throw mapPgError(error);
      } finally {
        this.onCommit.delete(client);
        this.closing.delete(client);
        client.release(broken);
        this.admission.leave();
      }
    }
  }

  /**
   * Sends `statement` (without parameters: see `inlineParams`) with the COMMIT of `sql`'s transaction, opened by `tx()`,
   * in the same round trip: for its last writes, whose answers it does not read. A round trip is a socket write and a
   * wait on each side, more than a short statement costs; the price is that the statement is planned at every call
   * (a prepared one is not sent this way).
   */
  sendWithCommit(sql: Tx, statement: string): void {
    const closing = this.closing.get(sql);
    if (!closing) throw new Error('sendWithCommit() needs a transaction opened by tx()');
    closing.push(statement);
  }

  /** Tells `observe` how long each committed transaction took, BEGIN to COMMIT (seconds). */
  observeCommits(observe: (seconds: number) => void): void {
    this.observeCommit = observe;
  }

  /**
   * One statement outside any explicit transaction (reads of committed state). With `name`, the statement is prepared
   * once per connection under that name and run from then on without being parsed and planned again (a tenth to a
   * fifth of a millisecond of database time per call for a short one): for a hot statement whose text never changes and
   * whose plan does not depend on its values, such as a call of a function.
   */
  async query<R extends QueryResultRow>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    await this.admission.enter();
    try {
      const values = params as unknown[];
      return (await (name === undefined ? this.pool.query<R>(text, values) : this.pool.query<R>({ name, text, values }))).rows;
    } catch (error) {
      throw mapPgError(error);
    } finally {
      this.admission.leave();
    }
  }

  /** A fence between the instances on this schema (PgFence), kept on a connection of its own. */
  fence(name: string, waitMs?: number): PgFence {
    const { url, schema } = this.options;
    const connect = () =>
      new Client({ connectionString: url, connectionTimeoutMillis: 3_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000, options: `-c search_path=${schema}` });
    return new PgFence(connect, `willow.${name}.${schema}`, waitMs);
  }

  /**
   * The channel `def` describes, on this schema (two schemas in one database never hear each other). Its listeners
   * are called again through `resync` after the listening connection was (re)established, since notifications sent
   * while it was down are lost: the module reloads what it caches.
   */
  channel<M>(def: ChannelDef<M>): PgChannel<M> {
    return new PgChannel(def, this.bus);
  }

  private async send(when: Sending, name: string, payloads: readonly string[]): Promise<void> {
    const channel = this.scoped(name);
    switch (when.kind) {
      case 'in-transaction':
        await when.sql.query(NOTIFY_IN_TX, [channel, payloads]);
        return;
      case 'with-commit':
        this.sendWithCommit(when.sql, inlineParams(NOTIFY_IN_TX, [channel, payloads]));
        return;
      case 'after-commit': {
        const pending = this.onCommit.get(when.sql);
        if (!pending) throw new Error('afterCommit() needs a transaction opened by tx()');
        for (const payload of payloads) pending.push([channel, payload]);
        return;
      }
      case 'committed':
        for (const payload of payloads) this.publisher.publish(channel, payload);
    }
  }

  private scoped(name: string): string {
    this.schemaTag ??= createHash('sha1').update(this.options.schema).digest('hex').slice(0, 12);
    return `willow_${this.schemaTag}_${name}`;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.publisher.close();
    await this.listener.close();
    await this.pool.end();
  }
}

/** BEGIN, with the opening statements in the same simple query; the rows each of those answered. */
async function begin(client: PoolClient, opening: readonly string[]): Promise<ReadonlyArray<readonly QueryResultRow[]>> {
  if (opening.length === 0) {
    await client.query('BEGIN');
    return [];
  }
  // A simple query of several statements answers one result per statement.
  const results = (await client.query(['BEGIN', ...opening].join(';\n'))) as unknown as QueryResult[];
  return results.slice(1).map((result) => result.rows);
}
