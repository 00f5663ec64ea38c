import { checkDelivery, leaseRanOut } from './delivery';
import { DEAD, WAITING, type AckResult, type ItemAt, type Settled, type StoredItem } from './item';
import { decideFailure } from './retry-policy';
import { retryDueAt } from './schedule';

export interface Ack {
  readonly id: string;
  readonly passed: boolean;
  readonly attempt: number | null;
  /** Why it failed (`passed` false only); kept as the item's LastError. */
  readonly error?: string | null;
}

/** An ack with the time it is judged at (its request's). */
export interface TimedAck extends Ack {
  readonly now: number;
}

/**
 * `ack`: a consumer's ack; only a delivery whose lease has not run out by the ack's `now` is settled (a lost lease is
 * LEASE_LOST, never revived). `expiry`: the lease sweep; only a delivery whose lease ran out by then is settled.
 */
export type SettleMode = 'ack' | 'expiry';

/** The reason a dead letter is stored with, by what failed it. */
export const DEAD_REASON: Readonly<Record<SettleMode, string>> = { ack: 'failed', expiry: 'lease expired' };

/** The LastError a failure leaves on its item: the ack's Error (null without one), or "lease expired". */
export function lastErrorOf(mode: SettleMode, ack: Pick<Ack, 'error'>): string | null {
  return mode === 'expiry' ? DEAD_REASON.expiry : (ack.error ?? null);
}

/** The channels whose last waiting place a settlement needs (for drop-when-newer): those of items an ack fails. */
export function failingChannels(found: readonly ItemAt[], acks: readonly Ack[]): string[] {
  const failing = new Set(acks.filter((a) => !a.passed).map((a) => a.id));
  return [...new Set(found.filter((f) => failing.has(f.item.id)).map((f) => f.item.key))];
}

/**
 * DESIGN §7.4 for a batch of acks judged in order, each on its own, as if written one by one: the items as the earlier
 * acks left them, each channel's last waiting place, and what the accepted acks write. A store reads the items and the
 * last waiting seqs (`failingChannels`), judges every ack, writes the four lists, then asks for the answers.
 */
export class Settlement {
  /** Items to delete: passed, or dropped because a newer item waits. */
  readonly removed: StoredItem[] = [];
  /** Failed items (`dead`, `front`, `back`) carry the `lastError` the store writes with them, and retries (`front`,
   * `back`) the `notBefore` of their backoff. */
  readonly dead: StoredItem[] = [];
  /** Back in line at their own place. */
  readonly front: StoredItem[] = [];
  /** Back in line behind everything stored, in this order. */
  readonly back: StoredItem[] = [];
  /** Channels an accepted ack changed. */
  readonly keys = new Set<string>();
  private readonly results: AckResult[] = [];
  private readonly backAt: number[] = [];
  private readonly live: Map<string, ItemAt>;
  private readonly lastWaiting: Map<string, number>;

  constructor(
    private readonly queue: string,
    found: readonly ItemAt[],
    lastWaiting: ReadonlyMap<string, number>,
    private readonly mode: SettleMode = 'ack',
  ) {
    this.live = new Map(found.map((f) => [f.item.id, f]));
    this.lastWaiting = new Map(lastWaiting);
  }

  judge(ack: TimedAck): AckResult {
    const result = this.decide(ack);
    this.results.push(result);
    return result;
  }

  /** Every ack's answer in order, each back retry at the place the store gave it (`backSeqs`, in the order of `back`). */
  answers(backSeqs: readonly number[] = []): AckResult[] {
    const answers = [...this.results];
    this.backAt.forEach((index, i) => {
      answers[index] = { item: { ...this.back[i], seq: backSeqs[i] }, outcome: 'back' };
    });
    return answers;
  }

  private decide(ack: TimedAck): AckResult {
    const check = checkDelivery(this.live.get(ack.id), this.queue, ack.attempt);
    if (check.kind !== 'ok') return check;
    const { item } = check;
    const ranOut = leaseRanOut(item, ack.now);
    if (this.mode === 'expiry' && !ranOut) return { kind: 'lease_lost', current: item.attempt };
    if (this.mode === 'ack' && ranOut) return { kind: 'lease_lost', current: null };
    this.keys.add(item.key);
    // A retry is due after its backoff (DESIGN §7.8); a dead letter keeps no due time.
    if (!ack.passed) return this.fail({ ...item, lastError: lastErrorOf(this.mode, ack), notBefore: retryDueAt(item, ack.now) });
    return this.remove(item, 'acked');
  }

  private remove(item: StoredItem, outcome: 'acked' | 'drop'): Settled {
    this.live.delete(item.id);
    this.removed.push(item);
    return { item, outcome };
  }

  private fail(item: StoredItem): Settled {
    // Only an item behind this one is newer: an older one may wait again (front retry) while this one runs.
    const last = this.lastWaiting.get(item.key) ?? -1;
    const outcome = decideFailure({ ...item, newerWaiting: last > item.seq });
    switch (outcome) {
      case 'dead':
        this.live.set(item.id, { item, state: DEAD });
        this.dead.push(item);
        break;
      case 'drop':
        return this.remove(item, 'drop');
      case 'front':
        this.live.set(item.id, { item, state: WAITING });
        this.lastWaiting.set(item.key, Math.max(last, item.seq));
        this.front.push(item);
        break;
      case 'back':
        this.live.set(item.id, { item, state: WAITING });
        // It goes behind everything stored, whatever number the store gives it.
        this.lastWaiting.set(item.key, Number.MAX_SAFE_INTEGER);
        this.backAt.push(this.results.length);
        this.back.push(item);
        break;
    }
    return { item, outcome };
  }
}
