import { TokenBuckets, WaiterCounts } from './token-bucket';

describe(TokenBuckets.name, () => {
  it('lets a second worth of requests through at once, then refuses with the seconds to wait', () => {
    const sut = new TokenBuckets(5);
    for (let i = 0; i < 5; i++) expect(sut.take('k', 0)).toBe(0);
    expect(sut.take('k', 0)).toBe(1);
  });

  it('refills continuously at the rate', () => {
    const sut = new TokenBuckets(10);
    for (let i = 0; i < 10; i++) sut.take('k', 0);
    expect(sut.take('k', 50)).toBe(1);
    expect(sut.take('k', 100)).toBe(0);
    expect(sut.take('k', 100)).toBe(1);
  });

  it('keeps one budget per identity', () => {
    const sut = new TokenBuckets(1);
    expect(sut.take('a', 0)).toBe(0);
    expect(sut.take('b', 0)).toBe(0);
    expect(sut.take('a', 0)).toBe(1);
  });

  it('forgets idle identities once it tracks too many', () => {
    const sut = new TokenBuckets(1, 2);
    sut.take('a', 0);
    sut.take('b', 0);
    sut.take('c', 5_000);
    expect(sut.tracked).toBe(1);
  });
});

describe(WaiterCounts.name, () => {
  it('caps concurrent waiters per identity and frees a place on leave', () => {
    const sut = new WaiterCounts(2);
    expect([sut.enter('k'), sut.enter('k'), sut.enter('k'), sut.enter('other')]).toEqual([true, true, false, true]);
    sut.leave('k');
    expect(sut.enter('k')).toBe(true);
    expect(sut.waiting('k')).toBe(2);
  });
});
