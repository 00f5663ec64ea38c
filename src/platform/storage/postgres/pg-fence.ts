import type { Client } from 'pg';

/** How long one lock request waits, by default, before it is given up (and, where it must, asked again). */
const LOCK_WAIT_MS = 10_000;
/** The two advisory locks (the second key of each, the first being the fence's name hashed). */
const FENCE = 1;
const INTENT = 2;

/**
 * A fence between the instances on one schema, kept by PostgreSQL session locks on a connection of its own: every
 * instance holds the fence shared while it runs (`hold`), and one at a time may run something while no live instance
 * holds it (`alone`). An instance that dies holds nothing: its session, and with it its hold, ends with it.
 *
 * Two advisory locks: the fence, and an intent that orders who goes in. `alone` takes the intent exclusively (or
 * gives up at once when another instance has it), tells the others (`announce`), lets go of its own hold and waits
 * for the fence exclusively; each other instance, told, steps aside (`stepAside`): it lets go of its hold and takes it
 * again behind the intent, so it cannot come back until `alone` is done. Lock requests wait at most `waitMs`; an
 * `alone` whose wait runs out runs nothing and lets everyone back in.
 */
export class PgFence {
  private client: Client | null = null;
  private held = false;
  /** Inside `alone`, holding the fence exclusively. */
  private inside = false;
  private lost: ((error: Error) => void) | null = null;
  constructor(
    private readonly connect: () => Client,
    /** The fence's name: the first key of both locks, hashed. */
    private readonly key: string,
    private readonly waitMs = LOCK_WAIT_MS,
  ) {}

  /** Whether this instance holds the fence now (false after its connection was lost, until `hold` again). */
  get holding(): boolean {
    return this.held;
  }

  /** Called once when the fence's connection is lost (the hold with it). */
  onLost(lost: (error: Error) => void): void {
    this.lost = lost;
  }

  /** Connects (again) and holds the fence shared; waits while an `alone` runs. */
  async hold(): Promise<void> {
    await this.close();
    const client = this.connect();
    client.on('error', (error) => this.drop(client, error));
    client.on('end', () => this.drop(client, new Error('fence connection ended')));
    await client.connect();
    this.client = client;
    await client.query(`SET lock_timeout = ${Math.trunc(this.waitMs)}`);
    // A host that vanishes without closing its connection must not hold the fence for the kernel's two hours.
    await client.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
    // As after stepping aside: an `alone` that has begun (and announced before this instance was listening, maybe)
    // is done before this instance holds the fence.
    await this.holdBehindIntent();
  }

  /** Whether this instance's hold (or its `alone`) is still in force: its connection has not been lost. */
  get fenced(): boolean {
    return this.client !== null && (this.held || this.inside);
  }

  /** Another instance runs `alone`: lets go of the hold, and holds again once it is done (or gave up). */
  async stepAside(): Promise<void> {
    this.held = false; // before the unlock: the fence is taken from the moment the database sees it
    await this.advisory('pg_advisory_unlock_shared', FENCE);
    await this.holdBehindIntent();
  }

  /** Holds the fence shared, taking it behind the intent: not while an `alone` is under way. */
  private async holdBehindIntent(): Promise<void> {
    await this.waitFor('pg_advisory_lock_shared', INTENT);
    try {
      await this.waitFor('pg_advisory_lock_shared', FENCE);
      this.held = true;
    } finally {
      await this.advisory('pg_advisory_unlock_shared', INTENT);
    }
  }

  /**
   * Runs `fn` while no live instance holds the fence; `announce` tells the others to step aside. Answers `taken`,
   * without running `fn`, when another instance is running one or taking its hold, and `timed-out` when some instance
   * did not step aside within `waitMs`.
   */
  async alone(announce: () => Promise<void>, fn: () => Promise<void>): Promise<'ran' | 'taken' | 'timed-out'> {
    const sql = this.connection();
    const [{ intent }] = (await sql.query<{ intent: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), $2) AS intent', [this.key, INTENT])).rows;
    if (!intent) return 'taken';
    try {
      await announce();
      this.held = false;
      await this.advisory('pg_advisory_unlock_shared', FENCE);
      let exclusive = false;
      try {
        await this.advisory('pg_advisory_lock', FENCE);
        exclusive = true;
        this.inside = true;
        await fn();
      } catch (error) {
        if (exclusive || !isLockTimeout(error)) throw error;
      } finally {
        this.inside = false;
        if (exclusive) await this.advisory('pg_advisory_unlock', FENCE);
        // At once: only the intent's holder (this instance) ever waits for the fence exclusively.
        await this.advisory('pg_advisory_lock_shared', FENCE);
        this.held = true;
      }
      return exclusive ? 'ran' : 'timed-out';
    } finally {
      await this.advisory('pg_advisory_unlock', INTENT);
    }
  }

  /** The database sessions holding the fence now (their backend pids), and which of `pids` have ended. */
  async sessions(pids: readonly number[]): Promise<{ holders: number[]; ended: number[] }> {
    const sql = this.connection();
    const { rows } = await sql.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = hashtext($1)::oid AND objid = $2 AND objsubid = 2
        AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [this.key, FENCE],
    );
    const alive = await sql.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids]);
    const live = new Set(alive.rows.map((r) => r.pid));
    return { holders: rows.map((r) => r.pid), ended: pids.filter((pid) => !live.has(pid)) };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.held = false;
    this.inside = false;
    if (client) await client.end().catch(() => undefined);
  }

  /** Takes a lock, asking again each time its wait runs out. */
  private async waitFor(fn: 'pg_advisory_lock_shared', which: number): Promise<void> {
    for (;;) {
      try {
        await this.advisory(fn, which);
        return;
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
      }
    }
  }

  /** One advisory lock function on lock `which` of this fence (a lock request waits at most `waitMs`). */
  private async advisory(fn: 'pg_advisory_lock' | 'pg_advisory_lock_shared' | 'pg_advisory_unlock' | 'pg_advisory_unlock_shared', which: number): Promise<void> {
    await this.connection().query(`SELECT ${fn}(hashtext($1), $2)`, [this.key, which]);
  }

  private connection(): Client {
    if (!this.client) throw new Error('the fence is not connected');
    return this.client;
  }

  private drop(client: Client, error: Error): void {
    if (client !== this.client) return;
    this.client = null;
    this.held = false;
    this.inside = false;
    client.end().catch(() => undefined);
    this.lost?.(error);
  }
}

/** PostgreSQL's lock_not_available: a lock request ran out of lock_timeout. */
function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '55P03';
}
