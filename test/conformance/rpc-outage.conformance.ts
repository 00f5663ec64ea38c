import { filter, firstValueFrom } from 'rxjs';
import { parseQuery } from '../../src/common/query';
import { transportUrl } from '../../src/config';
import { LockerRpcClient } from '../../src/locker/rpc/locker.rpc-client';
import { createClientProxy } from '../../src/platform/transport/client-options';
import { RpcCaller } from '../../src/platform/transport/rpc-caller';
import { codeOf } from '../support/limiter-harness';
import { rpcClients, startPortServer, type PortServer } from './support/port-fixture';

/** Every call to an unreachable port ends within this, with DEPENDENCY_UNAVAILABLE (no hang). */
const BOUND_MS = 6_000;

/** The RPC clients when the serving process is gone, and once it is back: bounded failures, then recovery. */
export function describeRpcOutage(label: string, makeUrl: () => Promise<string>): void {
  describe(`RPC outage [${label}]`, () => {
    let url: string;
    let server: PortServer | null;
    let clients: ReturnType<typeof rpcClients>;
    beforeEach(async () => {
      url = await makeUrl();
      server = null;
      clients = rpcClients(transportUrl({ URL: url }, 'URL')!);
    });
    afterEach(async () => {
      await clients.close();
      await server?.close();
    });

    it('answers DEPENDENCY_UNAVAILABLE at once while nothing serves the port, then recovers on its own', async () => {
      const started = Date.now();
      expect(await codeOf(clients.limiter.tryIncrement({ tags: { a: 1 }, counters: 1 }))).toBe('DEPENDENCY_UNAVAILABLE');
      expect(await codeOf(clients.locker.acquire({ tags: { a: 1 }, timeoutMs: 1_000, waitMs: 0 }))).toBe('DEPENDENCY_UNAVAILABLE');
      expect(await codeOf(clients.limiter.ping())).toBe('DEPENDENCY_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(BOUND_MS);

      // A default value: if the test ends first, closing the clients completes the stream without an unhandled rejection.
      const reconnected = firstValueFrom(clients.limiter.capacityFreed$.pipe(filter((e) => e.tags === null)), { defaultValue: null });
      server = await startPortServer(url);
      await reconnected; // the feed re-subscribes by itself and tells waiters to check again
      expect(await clients.limiter.tryIncrement({ tags: { a: 1 }, counters: 1 })).toMatchObject({ allowed: true });
      expect(await clients.locker.acquire({ tags: { a: 1 }, timeoutMs: 1_000, waitMs: 0 })).not.toBeNull();
    }, 30_000);

    it('leaves no lock held by a remote acquire whose caller gave up on the reply', async () => {
      server = await startPortServer(url);
      const holder = (await clients.locker.acquire({ tags: { a: 1 }, timeoutMs: 30_000, waitMs: 0 }))!;
      // A reply margin below zero: the caller gives up 100 ms before the server's wait would end.
      const impatient = new LockerRpcClient(new RpcCaller('locker', createClientProxy(transportUrl({ URL: url }, 'URL')!), -400));
      try {
        expect(await codeOf(impatient.acquire({ tags: { a: 1 }, timeoutMs: 30_000, waitMs: 500 }))).toBe('DEPENDENCY_UNAVAILABLE');
        await clients.locker.release(holder);
        await new Promise((r) => setTimeout(r, 300));
        expect((await clients.locker.list(parseQuery({}, ''), { limit: 10, cursor: null })).items).toEqual([]);
      } finally {
        await impatient.onApplicationShutdown();
      }
    }, 30_000);

    // Two port servers start within this test: on a loaded host that alone can take longer than jest's default 5 s.
    it('fails calls in flight and later calls when the serving process stops, and recovers when it is back', async () => {
      server = await startPortServer(url);
      expect(await clients.limiter.tryIncrement({ tags: { a: 1 }, counters: 1 })).toMatchObject({ allowed: true });
      await server.close();
      server = null;
      const started = Date.now();
      expect(await codeOf(clients.limiter.decrement({ tags: { a: 1 }, counters: 1 }))).toBe('DEPENDENCY_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(BOUND_MS);
      // A default value: if the test ends first, closing the clients completes the stream without an unhandled rejection.
      const reconnected = firstValueFrom(clients.limiter.capacityFreed$.pipe(filter((e) => e.tags === null)), { defaultValue: null });
      server = await startPortServer(url);
      await reconnected;
      expect(await clients.limiter.decrement({ tags: { a: 1 }, counters: 1 })).toEqual({ tags: { a: 1 }, counters: 0 });
    }, 30_000);
  });
}
