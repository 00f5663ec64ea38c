import { Logger } from '@nestjs/common';

/** Rows a table must gain before its statistics are worth refreshing, whatever its size. */
const MIN_GROWTH = 1_000;
/** Share of the rows counted at the last refresh that a table must gain before the next one. */
const GROWTH_SHARE = 0.2;
/** Shortest time between two refreshes of one table by one instance. */
const MIN_INTERVAL_MS = 1_000;

/**
 * Whether a table that gained `grown` rows since its statistics were last refreshed, when it held `counted`, should
 * be analyzed again: PostgreSQL plans with those statistics, and a queue table that went from empty to 150k rows in
 * seconds (before autovacuum's next round, a minute away) is planned as if it were still empty.
 */
export function analyzeDue(grown: number, counted: number, sinceLastMs: number): boolean {
  return sinceLastMs >= MIN_INTERVAL_MS && grown >= Math.max(MIN_GROWTH, counted * GROWTH_SHARE);
}

/**
 * The statement telling how long ago `table` (as the search path finds it) was last analyzed by anyone, autovacuum
 * included (`sinceAnalyzeMs`, null: never). The database records an ANALYZE as it ends, for every session to see.
 */
function lastAnalyzeQuery(table: string): string {
  return `SELECT (extract(epoch FROM clock_timestamp() - greatest(last_analyze, last_autoanalyze)) * 1000)::float8 AS "sinceAnalyzeMs"
    FROM pg_stat_user_tables WHERE relid = to_regclass('${table}')`;
}

/**
 * Runs `ANALYZE` on a fast-growing table from this instance, in the background, at most one at a time. Measured on
 * the items table: a batch enqueue of 25,000 items into 10,000 channels, 50 requests in flight, took 168 s with the
 * statistics of the empty table (the channel reads chose the queue-wide index and scanned every item) and 12 s with
 * the statistics refreshed as it grew.
 *
 * Several instances fill one table, each counting the rows it adds. A refresh this instance's count makes due is
 * left out when the table was analyzed (by another instance, or autovacuum) since this instance's last refresh ended:
 * that ANALYZE saw the rows counted until then. Two instances used to run twice the ANALYZEs of one (each about
 * 0.2 s of database time on a 300k-item table): in a batch enqueue on two instances the database spent 22-23 us per
 * item, 16-18 us once they ran them once. A refresh also skips the table while another ANALYZE holds it
 * (`SKIP_LOCKED`) rather than queue behind it.
 */
export class AnalyzeOnGrowth {
  private readonly logger = new Logger(AnalyzeOnGrowth.name);
  private grown = 0;
  private counted = 0;
  private lastAt = -Infinity;
  /** When this instance's last refresh ended (its own ANALYZE, if it ran one, had ended by then). */
  private doneAt = -Infinity;
  private running = false;

  constructor(
    private readonly table: string,
    private readonly query: (sql: string) => Promise<readonly object[]>,
    private readonly now: () => number = Date.now,
  ) {}

  /** `rows` rows were added to the table (committed). */
  grew(rows: number): void {
    this.grown += rows;
    const now = this.now();
    if (this.running || !analyzeDue(this.grown, this.counted, now - this.lastAt)) return;
    this.running = true;
    this.lastAt = now;
    const adding = this.grown;
    this.refresh(now - this.doneAt).then(
      () => {
        this.counted += adding;
        this.grown -= adding;
      },
      (error: unknown) => this.logger.warn({ err: error, table: this.table }, 'refreshing the table statistics failed; the next growth retries'),
    ).finally(() => {
      this.doneAt = this.now();
      this.running = false;
    });
  }

  /** Analyzes the table unless another ANALYZE ended in the last `sinceDoneMs` (since this instance's last refresh). */
  private async refresh(sinceDoneMs: number): Promise<void> {
    const [last] = (await this.query(lastAnalyzeQuery(this.table))) as Array<{ sinceAnalyzeMs: number | null }>;
    if (last && last.sinceAnalyzeMs !== null && last.sinceAnalyzeMs < sinceDoneMs) return;
    await this.query(`ANALYZE (SKIP_LOCKED) ${this.table}`);
  }
}
