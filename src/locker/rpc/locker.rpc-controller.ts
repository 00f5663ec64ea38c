import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Page, PageRequest } from '../../common/page';
import type { Query } from '../../common/query';
import type { RpcEnvelope } from '../../platform/transport/rpc-envelope';
import { serveRpc } from '../../platform/transport/rpc-serve';
import { LOCKER_PORT, LockerPatterns, type LockerPort, type LockGrant, type LockInfo, type LockSession } from '../locker.port';
import { AcquireCalls } from './acquire-calls';
import type { RemoteAcquire } from './locker.rpc-client';

/** Serves the LockerPort to other processes (active when WILLOW_TRANSPORT_LISTEN connects a transport). */
@Controller()
export class LockerRpcController {
  private readonly calls = new AcquireCalls();

  constructor(@Inject(LOCKER_PORT) private readonly locker: LockerPort) {}

  @MessagePattern(LockerPatterns.acquire)
  acquire(@Payload() msg: RpcEnvelope<RemoteAcquire>): Promise<LockGrant | null> {
    return serveRpc(LockerPatterns.acquire, msg, async ({ callId, ...cmd }) => {
      const signal = this.calls.start(callId);
      let grant: LockGrant | null = null;
      try {
        grant = await this.locker.acquire(cmd, signal);
        return grant;
      } finally {
        this.calls.finish(callId, grant);
      }
    });
  }

  @MessagePattern(LockerPatterns.cancelAcquire)
  cancelAcquire(@Payload() msg: RpcEnvelope<{ callId: string }>): Promise<null> {
    return serveRpc(LockerPatterns.cancelAcquire, msg, async ({ callId }) => {
      const granted = this.calls.cancel(callId);
      if (granted) await this.locker.release(granted).catch(() => undefined); // already expired or released: fine
      return null;
    });
  }

  @MessagePattern(LockerPatterns.heartbeat)
  heartbeat(@Payload() msg: RpcEnvelope<LockSession>): Promise<{ readonly expiresAt: string }> {
    return serveRpc(LockerPatterns.heartbeat, msg, (cmd) => this.locker.heartbeat(cmd));
  }

  @MessagePattern(LockerPatterns.release)
  release(@Payload() msg: RpcEnvelope<LockSession>): Promise<null> {
    return serveRpc(LockerPatterns.release, msg, async (cmd) => {
      await this.locker.release(cmd);
      return null;
    });
  }

  @MessagePattern(LockerPatterns.list)
  list(@Payload() msg: RpcEnvelope<{ query: Query; page: PageRequest }>): Promise<Page<LockInfo>> {
    return serveRpc(LockerPatterns.list, msg, ({ query, page }) => this.locker.list(query, page));
  }

  @MessagePattern(LockerPatterns.ping)
  ping(@Payload() msg: RpcEnvelope<null>): Promise<string> {
    return serveRpc(LockerPatterns.ping, msg, () => 'pong', { quiet: true });
  }
}
