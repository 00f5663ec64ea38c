/**
 * The line of waiters per lock as one process keeps it: tickets rise in arrival order, and a waiter counts until
 * its deadline. A grant keeps arrival order when it goes to the first live waiter, or to a newcomer while nobody
 * live waits. (A shared store keeps the same line in its tables, across instances.)
 */
export class WaitLine {
  /** key -> ticket -> deadline; a Map keeps insertion order, which is ticket order. */
  private readonly lines = new Map<string, Map<number, number>>();
  private lastTicket = 0;

  join(key: string, deadline: number): number {
    const ticket = ++this.lastTicket;
    let line = this.lines.get(key);
    if (!line) this.lines.set(key, (line = new Map()));
    line.set(ticket, deadline);
    return ticket;
  }

  leave(key: string, ticket: number): boolean {
    const line = this.lines.get(key);
    if (!line?.delete(ticket)) return false;
    if (line.size === 0) this.lines.delete(key);
    return true;
  }

  /** Whether granting `key` to `ticket` (null: a newcomer) at `now` keeps arrival order. Forgets dead waiters. */
  mayGrant(key: string, ticket: number | null, now: number): boolean {
    const first = this.firstLive(key, now);
    return first === null || first === ticket;
  }

  /** Live waiters of `key` at `now`. */
  count(key: string, now: number): number {
    let n = 0;
    for (const deadline of this.lines.get(key)?.values() ?? []) if (deadline > now) n++;
    return n;
  }

  /** Live waiters of every key at `now`. */
  total(now: number): number {
    let n = 0;
    for (const key of this.lines.keys()) n += this.count(key, now);
    return n;
  }

  private firstLive(key: string, now: number): number | null {
    const line = this.lines.get(key);
    if (!line) return null;
    for (const [ticket, deadline] of line) {
      if (deadline > now) return ticket;
      this.leave(key, ticket);
    }
    return null;
  }
}
