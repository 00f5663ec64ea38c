import { randomUUID } from 'node:crypto';
import type { Scheduler } from '../../common/scheduler';
import type { CapacityFreed } from '../limiter.port';

/** One answer of the `limiter.events` long-poll: events after the caller's cursor, and the cursor to send next. */
export interface EventsPage {
  readonly cursor: string;
  readonly events: readonly CapacityFreed[];
}

const EVERYTHING: CapacityFreed = Object.freeze({ tags: null });

/**
 * The serving side of `capacityFreed$` across a transport without server push (TCP): a bounded ring of recent
 * events behind a cursor `<stream>:<seq>`. A cursor from another stream (the Limiter restarted) or one that fell out
 * of the ring gets `{tags: null}`, "check everything again", so no waiter is ever stranded by a lost event.
 */
export class CapacityLog {
  private readonly stream = randomUUID();
  private readonly ring: CapacityFreed[] = [];
  /** Sequence number of the newest event; the ring holds `seq - ring.length + 1 .. seq`. */
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly capacity = 4_096,
  ) {}

  append(event: CapacityFreed): void {
    this.seq++;
    this.ring.push(event);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const wake of [...this.waiters]) wake();
  }

  /** Events after `cursor` (null: start from now), or null when there are none yet. */
  read(cursor: string | null): EventsPage | null {
    const here = `${this.stream}:${this.seq}`;
    if (cursor === null) return { cursor: here, events: [] };
    const [stream, raw] = cursor.split(':');
    const after = Number(raw);
    const oldest = this.seq - this.ring.length + 1;
    if (stream !== this.stream || !Number.isSafeInteger(after) || after > this.seq || after < oldest - 1) {
      return { cursor: here, events: [EVERYTHING] };
    }
    if (after === this.seq) return null;
    return { cursor: here, events: this.ring.slice(after - oldest + 1) };
  }

  /** `read`, waiting up to `waitMs` for an event when there is none yet. */
  async poll(cursor: string | null, waitMs: number): Promise<EventsPage> {
    const now = this.read(cursor);
    if (now || this.closed || waitMs <= 0) return now ?? { cursor: cursor!, events: [] };
    await new Promise<void>((resolve) => {
      const done = () => {
        timer.cancel();
        this.waiters.delete(done);
        resolve();
      };
      const timer = this.scheduler.after(waitMs, done);
      this.waiters.add(done);
    });
    return this.read(cursor) ?? { cursor: cursor!, events: [] };
  }

  /** Ends every poll (shutdown), so no transport connection is held open by a waiting poll. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }
}
