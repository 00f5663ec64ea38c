import { LimiterApi } from '../support/limiter-api';
import { createTestApp, type TestApp } from '../support/test-app';

const OK = 200;
const FULL = 409;

/** DESIGN §6, semantics 1–6, over HTTP (7 is in limiter-concurrency, 8 in limiter-counters). */
describe('Limiter semantics over HTTP', () => {
  let app: TestApp;
  let api: LimiterApi;
  beforeEach(async () => {
    app = await createTestApp();
    api = new LimiterApi(app);
  });
  afterEach(() => app.close());

  describe('1. Limit', () => {
    it('-1 is unlimited', async () => {
      await api.rule('r', ['repo'], -1);
      expect(await api.statuses(20, { repo: 'w' })).toEqual(Array(20).fill(OK));
      expect((await api.increment({ repo: 'w' }, 1_000_000_000)).status).toBe(OK);
    });

    it('0 refuses at once', async () => {
      await api.rule('r', ['repo'], 0);
      const res = await api.increment({ repo: 'w' });
      expect(res.status).toBe(FULL);
      expect(res.body).toMatchObject({ Code: 'LIMIT_REACHED', Rule: 'r', Limit: 0, Count: 0 });
    });

    it('n allows at most n', async () => {
      await api.rule('r', ['repo'], 2);
      expect(await api.statuses(3, { repo: 'w' })).toEqual([OK, OK, FULL]);
    });

    it('below -1 or above the maximum is 400', async () => {
      for (const Limit of [-2, 1_000_000_001]) {
        const res = await api.createRule({ Name: 'r', GroupBy: ['repo'], Limit });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ Code: 'INVALID_INPUT', Path: 'Limit' });
      }
    });
  });

  it('2. a rule applies only when every GroupBy key is present (extra keys are fine)', async () => {
    await api.rule('r', ['repo', 'branch'], 1);
    expect(await api.statuses(3, { repo: 'w' })).toEqual([OK, OK, OK]);
    expect(await api.statuses(2, { repo: 'w', branch: 'f', os: 'mac' })).toEqual([OK, FULL]);
  });

  it('3. an override applies only when every one of its KeyValues is present and equal, typed', async () => {
    await api.rule('r', ['repo'], 1);
    await api.override('r', 'mac', { repo: 'w', os: 'mac', n: 1 }, 3);
    expect(await api.statuses(2, { repo: 'w', os: 'mac', n: '1' })).toEqual([OK, FULL]);
    await api.set({ repo: 'w', os: 'mac', n: '1' }, 0);
    expect(await api.statuses(4, { repo: 'w', os: 'mac', n: 1, arch: 'arm' })).toEqual([OK, OK, OK, FULL]);
  });

  describe('4. overrides replace their rule limit; every applying limit is enforced', () => {
    it('ignores the rule limit when an override applies', async () => {
      await api.rule('r', ['repo'], 1);
      await api.override('r', 'big', { repo: 'w' }, 3);
      expect(await api.statuses(4, { repo: 'w' })).toEqual([OK, OK, OK, FULL]);
      expect(await api.statuses(2, { repo: 'v' })).toEqual([OK, FULL]);
    });

    it('enforces every applying override and every applying rule', async () => {
      await api.rule('r', ['repo'], 100);
      await api.override('r', 'a_mac', { repo: 'w', os: 'mac' }, 5);
      await api.override('r', 'b_arm', { repo: 'w', arch: 'arm' }, 2);
      await api.rule('s', ['os'], 10);
      const tags = { repo: 'w', os: 'mac', arch: 'arm' };
      const explained = await api.explain(tags);
      expect(explained.body.Limits.map((l: { Rule: string; Override?: string }) => [l.Rule, l.Override])).toEqual([
        ['r', 'a_mac'],
        ['r', 'b_arm'],
        ['s', undefined],
      ]);
      expect(await api.statuses(2, tags)).toEqual([OK, OK]);
      const refused = await api.increment(tags);
      expect(refused.body).toEqual({ Message: expect.any(String), Code: 'LIMIT_REACHED', Rule: 'r', Override: 'b_arm', Limit: 2, Count: 2 });
      await api.set({ os: 'mac' }, 8);
      expect((await api.increment({ repo: 'x', os: 'mac' })).body).toMatchObject({ Rule: 's', Limit: 10, Count: 10 });
    });
  });

  it('5. count sums every counter sharing the key values; n more fit only if count + n <= limit', async () => {
    await api.rule('r', ['repo'], 5);
    expect((await api.increment({ repo: 'w', os: 'linux' }, 2)).status).toBe(OK);
    expect((await api.increment({ repo: 'w', os: 'mac' }, 2)).status).toBe(OK);
    const refused = await api.increment({ repo: 'w' }, 2);
    expect(refused.status).toBe(FULL);
    expect(refused.body).toMatchObject({ Rule: 'r', Limit: 5, Count: 4 });
    expect(refused.body).not.toHaveProperty('Override');
    expect((await api.increment({ repo: 'w' }, 1)).body).toEqual({ KeyValues: { repo: 'w' }, Counters: 1 });
    expect((await api.explain({ repo: 'w', os: 'x' })).body).toEqual({
      KeyValues: { repo: 'w', os: 'x' },
      Allowed: false,
      Limits: [{ Rule: 'r', GroupBy: ['repo'], Limit: 5, Count: 5, Allowed: false }],
    });
  });

  describe('6. all-or-nothing increments; decrements never check; counters outlive rules', () => {
    it('changes nothing when refused', async () => {
      await api.rule('a', ['repo'], 10);
      await api.rule('b', ['os'], 1);
      await api.increment({ repo: 'w', os: 'mac' });
      const before = (await api.listCounters()).body;
      expect((await api.increment({ repo: 'w', os: 'mac' }, 3)).body).toMatchObject({ Rule: 'b', Count: 1 });
      expect((await api.listCounters()).body).toEqual(before);
      expect((await api.explain({ repo: 'w' })).body.Limits[0]).toMatchObject({ Rule: 'a', Count: 1 });
    });

    it('decrements without checking limits, removing a counter at 0; an unknown counter is 0', async () => {
      await api.rule('r', ['repo'], 0);
      expect((await api.set({ repo: 'w' }, 5)).body).toEqual({ KeyValues: { repo: 'w' }, Counters: 5 });
      expect((await api.decrement({ repo: 'w' }, 2)).body).toEqual({ KeyValues: { repo: 'w' }, Counters: 3 });
      expect((await api.decrement({ repo: 'w' })).body).toEqual({ KeyValues: { repo: 'w' }, Counters: 2 });
      expect((await api.decrement({ repo: 'w' }, 9)).body).toEqual({ KeyValues: { repo: 'w' }, Counters: 0 });
      expect((await api.listCounters()).body).toEqual([]);
      const unknown = await api.decrement({ repo: 'never' });
      expect([unknown.status, unknown.body]).toEqual([OK, { KeyValues: { repo: 'never' }, Counters: 0 }]);
    });

    it('keeps counters when rules and overrides are deleted', async () => {
      await api.rule('r', ['repo'], 2);
      await api.override('r', 'o', { repo: 'w', os: 'mac' }, 3);
      await api.increment({ repo: 'w', os: 'mac' }, 3);
      await api.increment({ repo: 'v' }, 2);
      expect((await api.deleteOverride('r', 'o')).status).toBe(204);
      expect((await api.deleteRule('r')).status).toBe(204);
      const counters = [
        { KeyValues: { os: 'mac', repo: 'w' }, Counters: 3 },
        { KeyValues: { repo: 'v' }, Counters: 2 },
      ];
      expect((await api.listCounters()).body).toEqual(counters);
      await api.rule('again', ['repo'], 6);
      expect((await api.explain({ repo: 'w' })).body.Limits[0]).toMatchObject({ Rule: 'again', Count: 3 });
      expect((await api.explain({ repo: 'v' })).body.Limits[0]).toMatchObject({ Rule: 'again', Count: 2 });
    });
  });
});
