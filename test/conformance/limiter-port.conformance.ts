import { filter, firstValueFrom, timeout } from 'rxjs';
import { parseQuery } from '../../src/common/query';
import type { CapacityFreed, LimiterPort } from '../../src/limiter';
import type { PortsFactory, PortsUnderTest } from './support/port-fixture';

/** LimiterPort behaviour every implementation shows: the service in-process, and LimiterRpcClient over a transport. */
export function describeLimiterPort(label: string, make: PortsFactory): void {
  describe(`LimiterPort [${label}]`, () => {
    let fx: PortsUnderTest;
    let sut: LimiterPort;
    beforeEach(async () => {
      fx = await make();
      sut = fx.limiter;
      await fx.admin.createRule({ name: 'branch', groupBy: ['repo', 'branch'], limit: 1 });
      await fx.admin.createOverride({ rule: 'branch', name: 'main', keyValues: { repo: 'w', branch: 'main' }, limit: 3 });
    });
    afterEach(() => fx.dispose());

    const nextEvent = (match: (e: CapacityFreed) => boolean) => firstValueFrom(sut.capacityFreed$.pipe(filter(match)));

    it('increments while limits fit and refuses with the refusing limit as a value', async () => {
      expect(await sut.tryIncrement({ tags: { repo: 'w', branch: 'a' }, counters: 1 })).toEqual({ allowed: true, tags: { repo: 'w', branch: 'a' }, counters: 1 });
      expect(await sut.tryIncrement({ tags: { repo: 'w', branch: 'a', os: 'ios' }, counters: 1 })).toEqual({
        allowed: false,
        tags: { repo: 'w', branch: 'a', os: 'ios' },
        rule: 'branch',
        override: null,
        limit: 1,
        count: 1,
        keyValues: { repo: 'w', branch: 'a' },
      });
      const viaOverride = await sut.tryIncrement({ tags: { repo: 'w', branch: 'main' }, counters: 4 });
      expect(viaOverride).toMatchObject({ allowed: false, rule: 'branch', override: 'main', limit: 3, count: 0 });
    });

    it('decrements (unknown = 0, never below 0) and sets exactly without a limit check', async () => {
      expect(await sut.decrement({ tags: { repo: 'x' }, counters: 1 })).toEqual({ tags: { repo: 'x' }, counters: 0 });
      expect(await sut.set({ tags: { repo: 'w', branch: 'a' }, counters: 5 })).toEqual({ tags: { repo: 'w', branch: 'a' }, counters: 5 });
      expect(await sut.decrement({ tags: { repo: 'w', branch: 'a' }, counters: 2 })).toEqual({ tags: { repo: 'w', branch: 'a' }, counters: 3 });
      expect(await sut.decrement({ tags: { repo: 'w', branch: 'a' }, counters: 9 })).toEqual({ tags: { repo: 'w', branch: 'a' }, counters: 0 });
    });

    it('applies a decrement repeated with its opId once, and announces the repeat', async () => {
      const tags = { repo: 'w', branch: 'a' };
      await sut.set({ tags, counters: 2 });
      const first = nextEvent((e) => e.tags?.branch === 'a');
      expect(await sut.decrement({ tags, counters: 1, opId: 'op-1' })).toEqual({ tags, counters: 1 });
      await first;
      const repeat = firstValueFrom(sut.capacityFreed$.pipe(filter((e) => e.tags?.branch === 'a'), timeout(2_000))).catch((e: unknown) => e);
      expect(await sut.decrement({ tags, counters: 1, opId: 'op-1' })).toEqual({ tags, counters: 1 });
      expect(await repeat).toEqual({ tags });
      const bad = await (async () => sut.decrement({ tags, counters: 1, opId: '' }))().catch((e: unknown) => e);
      expect(bad).toMatchObject({ code: 'INVALID_INPUT', details: { Path: 'OpId' } });
    });

    it('explains every enforced limit and lists counters by query and page', async () => {
      await sut.set({ tags: { repo: 'w', branch: 'main', _q: 'ci' }, counters: 2 });
      await sut.set({ tags: { repo: 'w', branch: 'b' }, counters: 1 });
      await sut.set({ tags: { repo: 'z' }, counters: 1 });
      expect(await sut.explain({ tags: { repo: 'w', branch: 'main' }, counters: 1 })).toEqual({
        tags: { repo: 'w', branch: 'main' },
        allowed: true,
        limits: [{ rule: 'branch', override: 'main', groupBy: ['repo', 'branch'], limit: 3, count: 2, allowed: true }],
      });
      const page1 = await sut.listCounters(parseQuery({ Where: { repo: 'w' } }, ''), { limit: 1, cursor: null });
      expect(page1.items).toHaveLength(1);
      expect(page1.nextCursor).not.toBeNull();
      const page2 = await sut.listCounters(parseQuery({ Where: { repo: 'w' } }, ''), { limit: 10, cursor: page1.nextCursor });
      expect([...page1.items, ...page2.items].map((c) => c.tags.branch).sort()).toEqual(['b', 'main']);
      expect(page2.nextCursor).toBeNull();
    });

    it('publishes capacity freed by a decrement, and {tags: null} when rules change', async () => {
      await sut.set({ tags: { repo: 'w', branch: 'a' }, counters: 1 });
      await new Promise((r) => setTimeout(r, 100)); // let a remote feed connect first
      const freed = nextEvent((e) => e.tags?.branch === 'a');
      await sut.decrement({ tags: { repo: 'w', branch: 'a' }, counters: 1 });
      // Heard at all, across a transport too; DESIGN §6.8's 50 ms is measured by test/bench/wakeup.bench.cjs.
      expect(await freed).toEqual({ tags: { repo: 'w', branch: 'a' } });
      const everything = nextEvent((e) => e.tags === null);
      await fx.admin.updateRuleLimit({ name: 'branch', limit: 2 });
      expect(await everything).toEqual({ tags: null });
    });

    it('keeps the stable code INVALID_INPUT and its path', async () => {
      const error = await (async () => sut.tryIncrement({ tags: { repo: 'w' }, counters: 0 }))().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_INPUT', details: { Path: 'Counters' } });
      const badTags = await (async () => sut.decrement({ tags: {}, counters: 1 }))().catch((e: unknown) => e);
      expect(badTags).toMatchObject({ code: 'INVALID_INPUT' });
    });
  });
}
