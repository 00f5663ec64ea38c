import { firstValueFrom, filter, take, toArray, timeout } from 'rxjs';
import { systemClock } from '../../src/common/clock';
import { CapacityEvents } from '../../src/limiter/capacity-events';
import type { CapacityFreed } from '../../src/limiter/limiter.port';
import { LimiterAdminService } from '../../src/limiter/limiter-admin.service';
import { LimiterService } from '../../src/limiter/limiter.service';
import { PeerSync } from '../../src/limiter/peer-sync';
import { RuleCache } from '../../src/limiter/rule-cache';
import { PostgresLimiterStore } from '../../src/limiter/store/postgres-limiter.store';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import { sleep } from '../support/wait';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage } from './support/postgres-fixture';

jest.setTimeout(60_000);

interface Instance {
  readonly port: LimiterService;
  readonly admin: LimiterAdminService;
  readonly events: CapacityEvents;
  readonly storage: PostgresStorage;
}

// Several Limiters, each with its own pool, rule cache and event stream, over one schema: what several Willow
// processes on one database are.
describePostgres('Limiter shared by several instances', (url) => {
  let schema: string;
  let instances: Instance[];
  /** An instance as the module wires it; `follow: false` leaves out listening to the others (no NOTIFY at all). */
  const start = async (follow = true): Promise<Instance> => {
    const storage = await openPostgresStorage(url, schema, 10);
    const store = await PostgresLimiterStore.open(storage);
    const cache = new RuleCache(store);
    await cache.onModuleInit();
    const events = new CapacityEvents();
    if (follow) await new PeerSync(store, cache, events).onModuleInit();
    const instance = { port: new LimiterService(store, cache, events, systemClock), admin: new LimiterAdminService(store, cache, events), events, storage };
    instances.push(instance);
    return instance;
  };
  const nextEvent = (on: Instance, ms = 1_000) => firstValueFrom(on.events.stream$.pipe(timeout(ms)));

  beforeEach(() => {
    schema = freshSchemaName();
    instances = [];
  });
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.storage.close()));
    instances.forEach((i) => i.events.onApplicationShutdown());
    await dropSchema(url, schema);
  });

  it("enforces a rule created on A on B's very next increment, even when B hears nothing from A", async () => {
    const [a, b] = [await start(), await start(false)];
    expect(await b.port.tryIncrement({ tags: { repo: 'w' }, counters: 2 })).toMatchObject({ allowed: true });
    await a.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 2 });
    expect(await b.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: false, rule: 'r', count: 2 });
    await a.admin.createOverride({ rule: 'r', name: 'w', keyValues: { repo: 'w' }, limit: 3 });
    expect(await b.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: true, counters: 3 });
    await a.admin.deleteRule({ name: 'r' });
    expect(await b.port.tryIncrement({ tags: { repo: 'w' }, counters: 5 })).toMatchObject({ allowed: true, counters: 8 });
    expect(await b.admin.listRules({ limit: 10, cursor: null })).toEqual({ items: [], nextCursor: null });
  });

  it('uses a limit changed on A at once on B, for increments, explain and reads', async () => {
    const [a, b] = [await start(), await start()];
    await a.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 1 });
    expect(await b.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: true });
    expect(await b.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: false, limit: 1 });
    await a.admin.updateRuleLimit({ name: 'r', limit: 2 });
    expect(await b.admin.getRule({ name: 'r' })).toMatchObject({ limit: 2 });
    expect(await b.port.explain({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: true, limits: [{ limit: 2, count: 1 }] });
    expect(await b.port.tryIncrement({ tags: { repo: 'w' }, counters: 1 })).toMatchObject({ allowed: true, counters: 2 });
    await a.admin.updateRuleLimit({ name: 'r', limit: 0 });
    expect(await b.port.tryIncrement({ tags: { repo: 'v' }, counters: 1 })).toMatchObject({ allowed: false, limit: 0 });
  });

  it("publishes capacity freed on B on A's capacityFreed$, and only once on B", async () => {
    const [a, b] = [await start(), await start()];
    await a.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 1 });
    await sleep(100); // let the rule change's own event pass
    for (let round = 0; round < 3; round++) {
      await b.port.tryIncrement({ tags: { repo: 'w', job: round }, counters: 1 });
      const onA = nextEvent(a);
      const onB = firstValueFrom(b.events.stream$.pipe(take(2), toArray(), timeout(300))).catch(() => 'one');
      await b.port.decrement({ tags: { repo: 'w', job: round }, counters: 1 });
      expect(await onA).toEqual<CapacityFreed>({ tags: { repo: 'w', job: round } }); // its latency: test/bench
      expect(await onB).toBe('one');
    }
  });

  it('frees capacity everywhere after a definition change on another instance, with the new rules in place', async () => {
    const [a, b] = [await start(), await start()];
    await b.admin.createRule({ name: 'r', groupBy: ['repo'], limit: 0 });
    const onA = firstValueFrom(a.events.stream$.pipe(filter((e) => e.tags === null), timeout(1_000)));
    await b.admin.updateRuleLimit({ name: 'r', limit: 1 });
    expect(await onA).toEqual({ tags: null });
    expect((await a.admin.getRule({ name: 'r' })).limit).toBe(1);
  });

  it('allows exactly Limit per group of 300 concurrent increments over three instances, while limits change', async () => {
    const nodes = [await start(), await start(), await start()];
    await nodes[0].admin.createRule({ name: 'three', groupBy: ['g'], limit: 3 });
    await nodes[0].admin.createRule({ name: 'loose', groupBy: ['w'], limit: 1_000 });
    const groups = ['a', 'b', 'c', 'd', 'e'];
    const changes = Promise.all([1, 2, 3].map((n) => nodes[n % 3].admin.updateRuleLimit({ name: 'loose', limit: 1_000 + n })));
    const answers = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const g = groups[i % groups.length];
        return { g, ...(await nodes[i % 3].port.tryIncrement({ tags: { g, w: Math.floor(i / 5) % 4 }, counters: 1 })) };
      }),
    );
    await changes;
    for (const g of groups) {
      expect({ g, allowed: answers.filter((x) => x.g === g && x.allowed).length }).toEqual({ g, allowed: 3 });
      for (const node of nodes) expect((await node.port.explain({ tags: { g }, counters: 1 })).limits[0].count).toBe(3);
    }
  });
});
