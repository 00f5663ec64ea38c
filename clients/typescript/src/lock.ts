import type { Client } from 'openapi-fetch';
import { backoffDelay, sleep } from './backoff';
import { isTransient } from './errors';
import type { components, paths } from './generated/schema';
import { call, type Duration } from './http';
import { LeaseKeeper, renewalOf } from './lease';

export type KeyValues = components['schemas']['AcquireLockBody']['KeyValues'];

export interface LockContext {
  /** Rises with every grant of this tag set: pass it to the resource you protect so it can refuse a stale holder. */
  fencingToken: number;
  /** Aborted when the lock is lost (its lease ran out, or another session holds it now). */
  signal: AbortSignal;
  lockId: string;
}

export interface LockOptions {
  /** Lease, renewed on its own every third of it (server default 30 s). */
  timeout?: Duration;
  /** How long to wait in line for the lock (server default 30 s; 0 = try once). 409 `LOCK_HELD` past it. */
  wait?: Duration;
  /** Gives up waiting for the lock (the acquire request is aborted; the server then grants it to no one). */
  signal?: AbortSignal;
  /** Failed heartbeats and releases (the lock is still released by its lease). Default: printed on stderr. */
  onError?: (error: unknown) => void;
}

const RELEASE_ATTEMPTS = 4;

/**
 * Acquires the lock on `keyValues` (throws `WillowError` `LOCK_HELD` if it is not granted within `wait`), keeps it
 * with heartbeats while `fn` runs, and releases it however `fn` ends. Resolves or rejects as `fn` does.
 */
export async function withLock<T>(api: Client<paths>, keyValues: KeyValues, fn: (lock: LockContext) => T | Promise<T>, options: LockOptions = {}): Promise<T> {
  const body = { KeyValues: keyValues, Timeout: options.timeout, Wait: options.wait };
  const grant = await call(api.POST('/v1/locks', { body, signal: options.signal }));
  const onError = options.onError ?? ((error: unknown) => console.error(`willow lock ${grant.LockID}: ${String(error)}`));
  const session = { params: { path: { LockID: grant.LockID } } };
  const lease = new LeaseKeeper(
    grant.Timeout,
    async () => {
      try {
        await call(api.POST('/v1/locks/{LockID}/heartbeat', { ...session, body: { SessionID: grant.SessionID } }));
        return { kind: 'renewed' } as const;
      } catch (error) {
        return renewalOf(error);
      }
    },
    onError,
  );
  try {
    return await fn({ fencingToken: grant.FencingToken, signal: lease.signal, lockId: grant.LockID });
  } finally {
    if (await lease.end()) await release(api, grant.LockID, grant.SessionID, onError);
  }
}

async function release(api: Client<paths>, lockId: string, sessionId: string, onError: (error: unknown) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call(api.DELETE('/v1/locks/{LockID}', { params: { path: { LockID: lockId } }, body: { SessionID: sessionId } }));
      return;
    } catch (error) {
      if (!isTransient(error) || attempt + 1 >= RELEASE_ATTEMPTS) return onError(error);
      await sleep(backoffDelay(attempt));
    }
  }
}
