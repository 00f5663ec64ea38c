import type { Subscription } from 'rxjs';
import { LIMITER_PORT, type CapacityFreed, type CounterValue, type LimiterPort } from '../../src/limiter';
import { LimiterApi } from '../support/limiter-api';
import { createTestApp, type TestApp } from '../support/test-app';

describe('Limiter counters over HTTP', () => {
  let app: TestApp;
  let api: LimiterApi;
  beforeEach(async () => {
    app = await createTestApp();
    api = new LimiterApi(app);
  });
  afterEach(() => app.close());

  it('increments by Counters (default 1) and answers the new value', async () => {
    expect((await api.increment({ repo: 'w' })).body).toEqual({ KeyValues: { repo: 'w' }, Counters: 1 });
    const res = await api.increment({ repo: 'w' }, 4);
    expect([res.status, res.body]).toEqual([200, { KeyValues: { repo: 'w' }, Counters: 5 }]);
  });

  it('sets a counter exactly with no limit check, reserved keys allowed; 0 removes it', async () => {
    await api.rule('r', ['_willow_queue'], 1);
    const set = await api.set({ _willow_queue: 'q', os: 'mac' }, 7);
    expect([set.status, set.body]).toEqual([200, { KeyValues: { _willow_queue: 'q', os: 'mac' }, Counters: 7 }]);
    expect((await api.explain({ _willow_queue: 'q' })).body).toMatchObject({ Allowed: false, Limits: [{ Rule: 'r', Count: 7 }] });
    expect((await api.set({ _willow_queue: 'q', os: 'mac' }, 0)).body.Counters).toBe(0);
    expect((await api.listCounters()).body).toEqual([]);
  });

  it('explains every enforced limit with its count and whether Counters more fit', async () => {
    await api.rule('branch', ['repo_name', 'branch_name'], 1);
    await api.override('branch', 'main', { repo_name: 'willow', branch_name: 'main' }, 3);
    await api.rule('ios', ['ios_required'], 4);
    await api.increment({ repo_name: 'willow', branch_name: 'main', ios_required: true }, 2);
    const res = await api.explain({ repo_name: 'willow', branch_name: 'main', ios_required: true }, 2);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      KeyValues: { repo_name: 'willow', branch_name: 'main', ios_required: true },
      Allowed: false,
      Limits: [
        { Rule: 'branch', Override: 'main', GroupBy: ['repo_name', 'branch_name'], Limit: 3, Count: 2, Allowed: false },
        { Rule: 'ios', GroupBy: ['ios_required'], Limit: 4, Count: 2, Allowed: true },
      ],
    });
    expect((await api.explain({ os: 'linux' })).body).toEqual({ KeyValues: { os: 'linux' }, Allowed: true, Limits: [] });
  });

  it('lists counters sorted by canonical tags, paginated, and filters them with a Query', async () => {
    for (const [tags, n] of [[{ b: 1 }, 1], [{ a: 'x', z: 1 }, 2], [{ a: 'y' }, 3], [{ a: 'x' }, 4]] as const) await api.set(tags, n);
    const all = await api.listCounters();
    // By canonical encoding: {"a":"x","z":1} sorts before {"a":"x"} (',' < '}').
    expect(all.body).toEqual([
      { KeyValues: { a: 'x', z: 1 }, Counters: 2 },
      { KeyValues: { a: 'x' }, Counters: 4 },
      { KeyValues: { a: 'y' }, Counters: 3 },
      { KeyValues: { b: 1 }, Counters: 1 },
    ]);
    const first = await api.listCounters('?Limit=3');
    expect(first.body).toEqual(all.body.slice(0, 3));
    const rest = await api.listCounters(`?Limit=3&Cursor=${first.headers['willow-next-cursor']}`);
    expect(rest.body).toEqual(all.body.slice(3));
    expect(rest.headers['willow-next-cursor']).toBeUndefined();
    const queried = await api.queryCounters({ Where: { a: 'x' } }, '?Limit=1');
    expect([queried.status, queried.body]).toEqual([200, [{ KeyValues: { a: 'x', z: 1 }, Counters: 2 }]]);
    const next = await api.queryCounters({ Where: { a: 'x' } }, `?Limit=1&Cursor=${queried.headers['willow-next-cursor']}`);
    expect(next.body).toEqual([{ KeyValues: { a: 'x' }, Counters: 4 }]);
    expect(next.headers['willow-next-cursor']).toBeUndefined();
    expect((await api.queryCounters({ Where: { z: { $exists: false } }, MaxKeys: 1 })).body).toHaveLength(3);
    expect((await api.queryCounters({})).body).toEqual(all.body);
  });

  describe('8. capacity-freed events on the port', () => {
    let events: Array<{ event: CapacityFreed; committed: readonly CounterValue[] }>;
    let subscription: Subscription;
    beforeEach(() => {
      const port = app.app.get<LimiterPort>(LIMITER_PORT);
      events = [];
      subscription = port.capacityFreed$.subscribe((event) => {
        // Reads committed state at the moment of the event: it must already hold the change.
        void port.listCounters({}, { limit: 100, cursor: null }).then((page) => events.push({ event, committed: page.items }));
      });
    });
    afterEach(() => subscription.unsubscribe());
    const settle = () => new Promise((resolve) => setImmediate(resolve));

    it('publishes the tags of a counter that went down, after the write committed', async () => {
      await api.increment({ repo: 'w', os: 'mac' }, 3);
      await api.increment({ repo: 'w', os: 'mac' }, 1);
      await settle();
      expect(events).toEqual([]);
      await api.decrement({ repo: 'w', os: 'mac' }, 1);
      await api.set({ repo: 'w', os: 'mac' }, 1);
      await api.set({ repo: 'w', os: 'mac' }, 5);
      await api.decrement({ repo: 'unknown' });
      await settle();
      expect(events.map((e) => e.event)).toEqual([{ tags: { repo: 'w', os: 'mac' } }, { tags: { repo: 'w', os: 'mac' } }]);
      expect(events.map((e) => e.committed[0].counters)).toEqual([3, 1]);
    });

    it('publishes tags: null when rules or overrides are created, changed or deleted', async () => {
      await api.rule('r', ['repo'], 1);
      await api.updateRule('r', { Limit: 2 });
      await api.override('r', 'o', { repo: 'w' }, 3);
      await api.updateOverride('r', 'o', { Limit: 4 });
      await api.deleteOverride('r', 'o');
      await api.deleteRule('r');
      await api.createRule({ Name: 'bad', GroupBy: [], Limit: 1 });
      await settle();
      expect(events.map((e) => e.event)).toEqual(Array(6).fill({ tags: null }));
    });
  });
});
