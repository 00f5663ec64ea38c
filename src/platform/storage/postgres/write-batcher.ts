import { errorCode } from '../../../common/errors';

/** A line's waiting requests, how many of its batches are being written, whether a start is scheduled. */
interface Line<In, Out> {
  readonly waiting: Array<Pending<In, Out>>;
  /** The units (items) of `waiting`. */
  waitingUnits: number;
  writing: number;
  scheduled: boolean;
}

interface Pending<In, Out> {
  readonly input: In;
  readonly size: number;
  readonly resolve: (value: Out) => void;
  readonly reject: (reason: unknown) => void;
}

/** Writes a batch of requests of one line; one result per request, in order. */
export type BatchRunner<In, Out> = (line: string, inputs: readonly In[]) => Promise<Out[]>;

export interface WriteBatcherOptions {
  /** The most units (items) one batch holds; a larger request is written alone. */
  readonly maxSize: number;
  /**
   * How many batches of one line may be written at once (default 1). With one, a line's requests are written in
   * arrival order, one batch after the other. With more, the next batch is sent while the one before waits for its
   * round trip and commit, and batches written together may commit in any order: fit only where requests in flight
   * together need no order between them (their writes order themselves in the database, e.g. by locks).
   */
  readonly inFlight?: number;
  /**
   * While a batch of a line is being written, another is started (up to `inFlight`) only once at least this many
   * units wait (default 1: at once). Below it, requests keep gathering for the batch after the one in flight: a line
   * of small requests gets fewer, larger batches, while one of large requests still sends its next batch at once.
   */
  readonly overlapFrom?: number;
  /**
   * Whether a batch that failed with `error` is written again in halves, down to single requests, so that each
   * request fails only for its own reason (default: never; the error then fails every request of the batch).
   */
  readonly retryInParts?: (error: unknown) => boolean;
}

/**
 * Application-level group commit for a shared database. Requests of one line (a queue's enqueues or acks, the
 * Limiter's counter writes) made in one turn of the event loop, or while a batch of that line is being written, are
 * written together, in arrival order, in one transaction: under load a round trip and a commit are paid per batch
 * instead of per request; alone, a request is written in the turn it was made. A line has `inFlight` batches in flight
 * at most (one by default), so its batches grow with the load (several per line made more, smaller transactions,
 * each paying its own commit, where a commit's flush is slow: README, PostgreSQL).
 */
export class WriteBatcher<In, Out> {
  /** Lines with requests waiting or batches being written. */
  private readonly lines = new Map<string, Line<In, Out>>();
  private readonly maxSize: number;
  private readonly inFlight: number;
  private readonly overlapFrom: number;
  private readonly retryInParts: (error: unknown) => boolean;

  constructor(
    private readonly run: BatchRunner<In, Out>,
    options: WriteBatcherOptions,
  ) {
    this.maxSize = options.maxSize;
    this.inFlight = Math.max(1, options.inFlight ?? 1);
    this.overlapFrom = Math.max(1, options.overlapFrom ?? 1);
    this.retryInParts = options.retryInParts ?? (() => false);
  }

  submit(line: string, input: In, size: number): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      let state = this.lines.get(line);
      if (!state) {
        state = { waiting: [], waitingUnits: 0, writing: 0, scheduled: false };
        this.lines.set(line, state);
      }
      state.waiting.push({ input, size, resolve, reject });
      state.waitingUnits += size;
      if (state.scheduled || !this.mayStart(state)) return;
      // The batch starts once this turn's synchronous code is done, so requests made together go together.
      state.scheduled = true;
      const scheduled = state;
      queueMicrotask(() => this.pump(line, scheduled));
    });
  }

  /**
   * Starts batches of the line's waiting requests while fewer than `inFlight` are being written; called again as
   * each ends, so requests that arrived meanwhile form the next batch.
   */
  private pump(line: string, state: Line<In, Out>): void {
    state.scheduled = false;
    const { waiting } = state;
    while (waiting.length > 0 && this.mayStart(state)) {
      let units = waiting[0].size;
      let count = 1;
      while (count < waiting.length && units + waiting[count].size <= this.maxSize) units += waiting[count++].size;
      state.waitingUnits -= units;
      state.writing++;
      void this.write(line, waiting.splice(0, count)).finally(() => {
        state.writing--;
        this.pump(line, state);
      });
    }
    if (waiting.length === 0 && state.writing === 0) this.lines.delete(line);
  }

  /** Whether a batch of the line's waiting requests may start now (see `inFlight` and `overlapFrom`). */
  private mayStart(state: Line<In, Out>): boolean {
    if (state.writing === 0) return true;
    return state.writing < this.inFlight && state.waitingUnits >= this.overlapFrom;
  }

  /**
   * One transaction for `batch`. When it fails for a reason `retryInParts` accepts, its halves are written again, in
   * order, each split again while it fails: one request that cannot be written costs about 2 log2(n) transactions,
   * not n, while the line's later requests wait.
   */
  private async write(line: string, batch: ReadonlyArray<Pending<In, Out>>): Promise<void> {
    try {
      const results = await this.run(line, batch.map((p) => p.input));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      if (batch.length > 1 && this.retryInParts(error)) {
        const half = Math.ceil(batch.length / 2);
        await this.write(line, batch.slice(0, half));
        await this.write(line, batch.slice(half));
        return;
      }
      for (const p of batch) p.reject(error);
    }
  }
}

/**
 * The usual `retryInParts`: a batch that failed is written again in parts unless the store itself is down or full (then
 * every request would fail the same way), so a request fails only for its own reason.
 */
export function unlessStoreDown(error: unknown): boolean {
  const code = errorCode(error);
  return code !== 'STORE_UNAVAILABLE' && code !== 'STORAGE_FULL';
}
