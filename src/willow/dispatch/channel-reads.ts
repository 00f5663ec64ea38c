import { systemClock, type Clock } from '../../common/clock';
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
 * `read`, one batch of a queue at a time: what is noted while a batch is read joins a later one. Without a pace, a
 * queue's reads start at once and follow one another while channels are noted. With `paceMs`, reads go in rounds: a
 * round reads, batch after batch, the channels noted when it started; the next round starts `paceMs` after the
 * channel that called for it was noted (or the last round ended), and no sooner than nine times as long as the last
 * batch took (so paced reads take at most about a tenth of the time, however long they get: a read that counts a
 * channel's items takes longer the deeper the channel). So channels noted meanwhile are read together, unless
 * someone waits for them (`done`), or a start asks for them at once (`start(queue, true)`, also while a read is in
 * flight: the next follows it at once).
 *
 * `read` reports its own errors (it must not reject); a batch that failed counts as read (it was tried).
 */
export class ChannelReads {
  /** Per queue, the channels noted and not read yet, in the order first noted, each with the mark it was noted at. */
  private readonly noted = new Map<string, Map<string, number>>();
  /** Queues whose channels are being read (or about to be). */
  private readonly reading = new Set<string>();
  /** Queues whose next round is scheduled (paced). */
  private readonly timers = new Map<string, Timer>();
  /** Queues whose noted channels were asked for at once while a read of them was in flight. */
  private readonly urgent = new Set<string>();
  private readonly marks = new Map<string, Marks>();
  /** Per queue, how long its last batch took (ms), which stretches its pace. */
  private readonly lastReadMs = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly read: (queue: string, keys: readonly string[]) => Promise<void>,
    private readonly scheduler: Scheduler,
    private readonly paceMs = 0,
    /** Times reads (how long they take stretches the pace). */
    private readonly clock: Clock = systemClock,
  ) {}

  /** Channels noted and not read yet. */
  get size(): number {
    let noted = 0;
    for (const keys of this.noted.values()) noted += keys.size;
    return noted;
  }

  note(queue: string, key: string): void {
    if (this.stopped) return;
    const marks = this.marks.get(queue) ?? { dirtied: 0, read: 0, waiters: [] };
    this.marks.set(queue, marks);
    marks.dirtied++;
    const keys = this.noted.get(queue) ?? new Map<string, number>();
    this.noted.set(queue, keys);
    // A channel noted again before it is read keeps its place and first mark: that read covers both.
    if (!keys.has(key)) keys.set(key, marks.dirtied);
  }

  /** Reads the queue's noted channels: at once, or paced. A read in flight takes what it misses in a later batch. */
  start(queue: string, now = this.paceMs === 0): void {
    if (this.stopped || !this.noted.get(queue)?.size) return;
    if (this.reading.has(queue)) {
      if (now) this.urgent.add(queue);
      return;
    }
    if (now) return this.begin(queue);
    if (this.timers.has(queue)) return;
    const pace = Math.max(this.paceMs, 9 * (this.lastReadMs.get(queue) ?? 0));
    this.timers.set(queue, this.scheduler.after(pace, () => this.begin(queue)));
  }

  /**
   * Resolves once every channel of `queue` noted before the call has been read (at once when none is pending): its
   * reads start now, paced or not. True when it had to wait.
   */
  async done(queue: string): Promise<boolean> {
    if (this.stopped) return false;
    this.start(queue, true);
    const marks = this.marks.get(queue);
    if (!marks || marks.read >= marks.dirtied) return false;
    await new Promise<void>((done) => marks.waiters.push({ upTo: marks.dirtied, done }));
    return true;
  }

  /** Drops what was noted of `queue` (deleted): never read, and whoever waits for it answered. */
  forget(queue: string): void {
    this.noted.delete(queue);
    this.urgent.delete(queue);
    this.lastReadMs.delete(queue);
    this.cancelTimer(queue);
    if (!this.reading.has(queue)) this.readUpTo(queue, Infinity);
  }

  /** No read starts any more (shutdown); those in flight end, and whoever waits is answered. */
  stop(): void {
    this.stopped = true;
    for (const queue of [...this.timers.keys()]) this.cancelTimer(queue);
    for (const queue of [...this.marks.keys()]) if (!this.reading.has(queue)) this.readUpTo(queue, Infinity);
  }

  private begin(queue: string): void {
    this.cancelTimer(queue);
    if (this.stopped) return;
    this.reading.add(queue);
    const round = this.marks.get(queue)?.dirtied ?? 0;
    queueMicrotask(() => this.readNoted(queue, round));
  }

  private cancelTimer(queue: string): void {
    this.timers.get(queue)?.cancel();
    this.timers.delete(queue);
  }

  /**
   * Reads a batch of the queue's noted channels; then the next one at once while the round (the channels noted up to
   * mark `round`) is not done or someone waits, else (paced) ends the round and schedules the next.
   */
  private readNoted(queue: string, round: number): void {
    const keys = this.noted.get(queue);
    if (this.stopped || !keys || keys.size === 0) {
      if (keys?.size === 0) this.noted.delete(queue);
      this.reading.delete(queue);
      this.readUpTo(queue, this.stopped ? Infinity : (this.marks.get(queue)?.dirtied ?? 0));
      return;
    }
    const batch: string[] = [];
    for (const key of keys.keys()) {
      batch.push(key);
      keys.delete(key);
      if (batch.length === READ_BATCH) break;
    }
    // What the batch covers: every mark made so far when it took every noted channel, else every mark before the
    // first channel it left (channels are taken in the order first noted).
    const next = keys.values().next();
    const covers = next.done ? (this.marks.get(queue)?.dirtied ?? 0) : next.value - 1;
    const started = this.clock.now();
    void this.read(queue, batch)
      .catch(() => undefined)
      .finally(() => {
        if (this.paceMs > 0 && this.noted.has(queue)) this.lastReadMs.set(queue, this.clock.now() - started);
        this.readUpTo(queue, covers);
        const waited = (this.marks.get(queue)?.waiters.length ?? 0) > 0;
        // The round goes on while channels noted before it started are left; someone waiting, or a start at once,
        // starts a new one at once.
        if (covers < round) return this.readNoted(queue, round);
        const urgent = this.urgent.delete(queue);
        if (this.paceMs === 0 || waited || urgent || !this.noted.get(queue)?.size) return this.readNoted(queue, this.marks.get(queue)?.dirtied ?? round);
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
