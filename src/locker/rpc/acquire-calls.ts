import type { LockSession } from '../locker.port';

/** How long a grant is remembered for a late cancel (a caller whose reply timed out). */
const REMEMBER_GRANT_MS = 60_000;
const MAX_REMEMBERED = 10_000;

interface Call {
  readonly abort: AbortController;
  grant: LockSession | null;
  readonly at: number;
}

/**
 * The serving side of remote `acquire`: an AbortSignal cannot cross the wire, so each call carries a `callId` and a
 * `locker.cancelAcquire` for it aborts the wait, or, when the lock was already granted (the caller gave up on the
 * reply), hands back the grant so the controller releases it: no lock stays held by a caller that left.
 */
export class AcquireCalls {
  private readonly calls = new Map<string, Call>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers a call; its signal aborts on cancel. A call cancelled before it arrived starts aborted. */
  start(callId: string): AbortSignal {
    this.prune();
    const existing = this.calls.get(callId);
    if (existing) return existing.abort.signal;
    const call: Call = { abort: new AbortController(), grant: null, at: this.now() };
    this.calls.set(callId, call);
    return call.abort.signal;
  }

  /** The call ended: remember its grant for a late cancel, or forget the call. */
  finish(callId: string, grant: LockSession | null): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (grant && !call.abort.signal.aborted) call.grant = grant;
    else this.calls.delete(callId);
  }

  /** Cancels a call: aborts a wait in progress, and returns a grant it already made (to be released), else null. */
  cancel(callId: string): LockSession | null {
    const call = this.calls.get(callId);
    if (!call) {
      // The cancel overtook its call: mark it so the call, when it arrives, is not granted.
      const abort = new AbortController();
      abort.abort();
      this.calls.set(callId, { abort, grant: null, at: this.now() });
      return null;
    }
    call.abort.abort();
    if (call.grant === null) return null;
    this.calls.delete(callId);
    return call.grant;
  }

  private prune(): void {
    const cutoff = this.now() - REMEMBER_GRANT_MS;
    // Insertion order is arrival order: stop at the first call young enough (unless over the cap).
    for (const [id, call] of this.calls) {
      if (call.at >= cutoff && this.calls.size <= MAX_REMEMBERED) break;
      const inFlight = call.grant === null && !call.abort.signal.aborted;
      if (!inFlight) this.calls.delete(id);
    }
  }
}
