import { FakeClock, systemClock } from './clock';

describe(FakeClock.name, () => {
  it('starts at 2030-01-01T00:00:00Z unless given a time', () => {
    expect(new FakeClock().now()).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(new FakeClock(42).now()).toBe(42);
  });

  it('moves only when advanced or set', () => {
    const sut = new FakeClock(1_000);
    expect(sut.now()).toBe(1_000);
    sut.advance(250);
    expect(sut.now()).toBe(1_250);
    sut.set(10);
    expect(sut.now()).toBe(10);
  });

  it('refuses to advance backwards', () => {
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
    expect(() => new FakeClock().advance(NaN)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('reads the current epoch milliseconds', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
