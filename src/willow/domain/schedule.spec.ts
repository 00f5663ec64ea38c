import { dueAtOf, isDue, parseNotBefore, retryDueAt } from './schedule';

describe('schedule', () => {
  const now = Date.UTC(2030, 0, 1);

  it('computes a new item\'s due time from Delay or NotBefore (null: at once)', () => {
    expect(dueAtOf(null, now, 'NotBefore')).toBeNull();
    expect(dueAtOf({ delayMs: 0 }, now, 'NotBefore')).toBeNull();
    expect(dueAtOf({ delayMs: 1_500 }, now, 'NotBefore')).toBe(now + 1_500);
    expect(dueAtOf({ notBefore: now - 1 }, now, 'NotBefore')).toBeNull();
    expect(dueAtOf({ notBefore: now + 30 * 86_400_000 }, now, 'NotBefore')).toBe(now + 30 * 86_400_000);
    expect(() => dueAtOf({ notBefore: now + 30 * 86_400_000 + 1 }, now, 'Items[2].NotBefore')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', path: 'Items[2].NotBefore' }),
    );
  });

  it('backs off fixed or exponentially from the failure, capped at 24 h', () => {
    const item = (attempt: number, retryBackoff: 'fixed' | 'exponential', retryDelayMs = 1_000) => ({ attempt, retryDelayMs, retryBackoff });
    expect(retryDueAt(item(1, 'fixed', 0), now)).toBeNull();
    expect([1, 2, 3].map((n) => retryDueAt(item(n, 'fixed'), now)! - now)).toEqual([1_000, 1_000, 1_000]);
    expect([1, 2, 3, 4].map((n) => retryDueAt(item(n, 'exponential'), now)! - now)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDueAt(item(40, 'exponential'), now)! - now).toBe(86_400_000);
    expect(retryDueAt(item(1_000_000, 'exponential', 86_400_000), now)! - now).toBe(86_400_000);
  });

  it('reads ISO-8601 times with a zone only', () => {
    expect(parseNotBefore('2030-01-01T01:00:00+01:00', 'NotBefore')).toBe(now);
    expect(parseNotBefore('2030-01-01T00:00Z', 'NotBefore')).toBe(now);
    for (const bad of ['2030-01-01', '2030-01-01T00:00:00', 'Tue, 01 Jan 2030 00:00:00 GMT', '2030-02-30T00:00:00Z']) {
      expect(() => parseNotBefore(bad, 'NotBefore')).toThrow(expect.objectContaining({ path: 'NotBefore' }));
    }
  });

  it('counts an item due at its due time exactly', () => {
    expect(isDue(null, now)).toBe(true);
    expect(isDue(now, now)).toBe(true);
    expect(isDue(now + 1, now)).toBe(false);
  });
});
