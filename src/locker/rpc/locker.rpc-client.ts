import type { OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Page, PageRequest } from '../../common/page';
import type { Query } from '../../common/query';
import type { RpcCaller } from '../../platform/transport/rpc-caller';
import { LockerPatterns, type AcquireLock, type LockerPort, type LockGrant, type LockInfo, type LockSession } from '../locker.port';

/** `acquire` on the wire: the command plus an id a later `cancelAcquire` names. */
export interface RemoteAcquire extends AcquireLock {
  readonly callId: string;
}

/** The LockerPort served by another process (WILLOW_LOCKER_URL). Failures keep their code; an unreachable locker
 * is DEPENDENCY_UNAVAILABLE. */
export class LockerRpcClient implements LockerPort, OnApplicationShutdown {
  constructor(private readonly rpc: RpcCaller) {}

  async acquire(cmd: AcquireLock, signal?: AbortSignal): Promise<LockGrant | null> {
    if (signal?.aborted) return null;
    const callId = randomUUID();
    const body: RemoteAcquire = { tags: cmd.tags, timeoutMs: cmd.timeoutMs, waitMs: cmd.waitMs, callId };
    const cancel = () => void this.rpc.call(LockerPatterns.cancelAcquire, { callId }).catch(() => undefined);
    signal?.addEventListener('abort', cancel, { once: true });
    let grant: LockGrant | null;
    try {
      grant = await this.rpc.call<LockGrant | null>(LockerPatterns.acquire, body, { waitMs: cmd.waitMs });
    } catch (error) {
      // No answer in time: a grant made meanwhile would be held by nobody, so the server releases it on cancel.
      if ((error as { code?: string }).code === 'DEPENDENCY_UNAVAILABLE') cancel();
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    if (grant && signal?.aborted) {
      // Granted while the caller left: never hand it to nobody.
      await this.release(grant).catch(() => undefined);
      return null;
    }
    return grant;
  }

  heartbeat(cmd: LockSession): Promise<{ readonly expiresAt: string }> {
    return this.rpc.call(LockerPatterns.heartbeat, { lockId: cmd.lockId, sessionId: cmd.sessionId });
  }

  async release(cmd: LockSession): Promise<void> {
    await this.rpc.call(LockerPatterns.release, { lockId: cmd.lockId, sessionId: cmd.sessionId });
  }

  list(query: Query, page: PageRequest): Promise<Page<LockInfo>> {
    return this.rpc.call(LockerPatterns.list, { query, page });
  }

  async ping(): Promise<void> {
    await this.rpc.call(LockerPatterns.ping, null, { timeoutMs: 1_000 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rpc.close();
  }
}
