import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../../src/app.module';
import { systemScheduler } from '../../../src/common/scheduler';
import { DEFAULT_TIMING, parseConfig, transportUrl, type TransportUrl } from '../../../src/config';
import { errorStatusTable } from '../../../src/error-status';
import { LIMITER_ADMIN_PORT, LIMITER_PORT, type LimiterAdminPort, type LimiterPort } from '../../../src/limiter';
import { createLimiterRpcClient, type LimiterRpcClient } from '../../../src/limiter/rpc/limiter.rpc-client';
import { LOCKER_PORT, type LockerPort } from '../../../src/locker';
import { LockerRpcClient } from '../../../src/locker/rpc/locker.rpc-client';
import { configureApp } from '../../../src/platform/http/configure-app';
import { createClientProxy } from '../../../src/platform/transport/client-options';
import { RpcCaller } from '../../../src/platform/transport/rpc-caller';
import { serveTransport } from '../../../src/platform/transport/serve-transport';

/** A limiter-and-locker process in-process (`:memory:`), serving its ports on `listen` when given. */
export interface PortServer {
  readonly app: NestExpressApplication;
  readonly admin: LimiterAdminPort;
  close(): Promise<void>;
}

export async function startPortServer(listen: string | null): Promise<PortServer> {
  const config = parseConfig({
    WILLOW_DATA_DIR: ':memory:',
    WILLOW_LOG_LEVEL: 'silent',
    WILLOW_MODULES: 'limiter,locker',
    ...(listen ? { WILLOW_TRANSPORT_LISTEN: listen } : {}),
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  configureApp(app, config, errorStatusTable);
  await serveTransport(app, config);
  await app.init();
  return { app, admin: app.get<LimiterAdminPort>(LIMITER_ADMIN_PORT), close: () => app.close() };
}

export interface PortsUnderTest {
  readonly limiter: LimiterPort;
  readonly locker: LockerPort;
  /** Rules and overrides are set up in-process on the serving side. */
  readonly admin: LimiterAdminPort;
  dispose(): Promise<void>;
}

export type PortsFactory = () => Promise<PortsUnderTest>;

/** The ports as other modules of the same process see them (the services). */
export async function localPorts(): Promise<PortsUnderTest> {
  const server = await startPortServer(null);
  return {
    limiter: server.app.get(LIMITER_PORT),
    locker: server.app.get(LOCKER_PORT),
    admin: server.admin,
    dispose: () => server.close(),
  };
}

export function rpcClients(url: TransportUrl): { limiter: LimiterRpcClient; locker: LockerRpcClient; close(): Promise<void> } {
  // Reconnects at most 200 ms apart (2 s by default): outage tests wait for the recovery, not for its pace.
  const limiter = createLimiterRpcClient(url, { scheduler: systemScheduler, timing: { ...DEFAULT_TIMING, retryMaxMs: 200 } });
  const locker = new LockerRpcClient(new RpcCaller('locker', createClientProxy(url)));
  return {
    limiter,
    locker,
    close: async () => {
      await limiter.onApplicationShutdown();
      await locker.onApplicationShutdown();
    },
  };
}

/** The ports as a process that reaches them over `listen` (a transport URL) sees them: the RPC clients. */
export function remotePorts(listen: () => Promise<string>): PortsFactory {
  return async () => {
    const url = await listen();
    const server = await startPortServer(url);
    const clients = rpcClients(transportUrl({ URL: url }, 'URL')!);
    return {
      limiter: clients.limiter,
      locker: clients.locker,
      admin: server.admin,
      dispose: async () => {
        await clients.close();
        await server.close();
      },
    };
  };
}
