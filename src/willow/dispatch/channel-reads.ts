import type { Scheduler, Timer } from '../../common/scheduler';

/** At most this many channels are read in one statement. */
const READ_BATCH = 1_000;

interface Marks {
  /** How many times a channel of the queue was noted. */
  dirtied: number;
  /** How many of those the finished reads cover. */
  read: number;
  waiters: Array<{ readonly upTo: number; readonly done: () => void }>;
}

/**
 * The channels of each queue noted as changed and still to be read again, read in batches of up to READ_BATCH by
 * `read`, one batch of a queue at a time: what is noted while a batch is read joins the next one. Without a pace,
 * a queue's reads start at once and follow one another while channels are noted. With `paceMs`, a queue's next read
 * starts `paceMs` after the channel that called for it was noted (or its last read ended), so channels noted
 * meanwhile are read together, unless someone waits for them (`done`): then at once.
 */
export class ChannelReads {
  private readonly noted = new Map<string, Set<string>>();
  /** Queues whose channels are being read (or about to be). */
  private readonly reading = new Set<string>();
  /** Queues whose next read is scheduled (paced). */
  private readonly timers = new Map<string, Timer>();
  private readonly marks = new Map<string, Marks>();

  constructor(
    private readonly read: (queue: string, keys: readonly string[]) => Promise<void>,
    private readonly scheduler: Scheduler,
    private readonly paceMs = 0,
  ) {}

  /** Channels noted and not read yet. */
  get size(): number {
    let noted = 0;
    for (const keys of this.noted.values()) noted += keys.size;
    return noted;
  }

  note(queue: string, key: string): void {
    const keys = this.noted.get(queue) ?? new Set<string>();
    this.noted.set(queue, keys);
    keys.add(key);
    const marks = this.marks.get(queue) ?? { dirtied: 0, read: 0, waiters: [] };
    this.marks.set(queue, marks);
    marks.dirtied++;
  }

  /** Reads the queue's noted channels: at once, or paced. A read in flight takes what it misses in its next batch. */
  start(queue: string, now = this.paceMs === 0): void {
    if (this.reading.has(queue) || !this.noted.get(queue)?.size) return;
    const timer = this.timers.get(queue);
    if (!now) {
      if (!timer) this.timers.set(queue, this.scheduler.after(this.paceMs, () => this.begin(queue)));
      return;
    }
    this.begin(queue);
  }

  /**
   * Resolves once every channel of `queue` noted before the call has been read (at once when none is pending): its
   * reads start now, paced or not. True when it had to wait.
   */
  async done(queue: string): Promise<boolean> {
    this.start(queue, true);
    const marks = this.marks.get(queue);
    if (!marks || marks.read >= marks.dirtied) return false;
    await new Promise<void>((done) => marks.waiters.push({ upTo: marks.dirtied, done }));
    return true;
  }

  /** Drops what was noted of `queue` (deleted): never read, and whoever waits for it answered. */
  forget(queue: string): void {
    this.noted.delete(queue);
    this.cancelTimer(queue);
    if (!this.reading.has(queue)) this.readUpTo(queue, Infinity);
  }

  stop(): void {
    for (const queue of [...this.timers.keys()]) this.cancelTimer(queue);
  }

  private begin(queue: string): void {
    this.cancelTimer(queue);
    this.reading.add(queue);
    queueMicrotask(() => this.readNoted(queue));
  }

  private cancelTimer(queue: string): void {
    this.timers.get(queue)?.cancel();
    this.timers.delete(queue);
  }

  /** Reads a batch of the queue's noted channels, then the next one: at once, or paced when nobody waits. */
  private readNoted(queue: string): void {
    const keys = this.noted.get(queue);
    if (!keys || keys.size === 0) {
      this.noted.delete(queue);
      this.reading.delete(queue);
      this.readUpTo(queue, Infinity);
      return;
    }
    const batch: string[] = [];
    for (const key of keys) {
      batch.push(key);
      keys.delete(key);
      if (batch.length === READ_BATCH) break;
    }
    // A batch that takes every noted channel covers every mark made so far (a failed read counts: it was tried).
    const covers = keys.size === 0 ? (this.marks.get(queue)?.dirtied ?? 0) : 0;
    void this.read(queue, batch).finally(() => {
      this.readUpTo(queue, covers);
      const waited = (this.marks.get(queue)?.waiters.length ?? 0) > 0;
      if (this.paceMs === 0 || waited || !this.noted.get(queue)?.size) return this.readNoted(queue);
      this.reading.delete(queue);
      this.start(queue, false);
    });
  }

  private readUpTo(queue: string, upTo: number): void {
    const marks = this.marks.get(queue);
    if (!marks) return;
    marks.read = Math.max(marks.read, Math.min(upTo, marks.dirtied));
    const ready = marks.waiters.filter((w) => w.upTo <= marks.read);
    marks.waiters = marks.waiters.filter((w) => w.upTo > marks.read);
    for (const w of ready) w.done();
    if (marks.read >= marks.dirtied && marks.waiters.length === 0) this.marks.delete(queue);
  }
}
