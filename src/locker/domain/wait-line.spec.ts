import { WaitLine } from './wait-line';

describe(WaitLine.name, () => {
  let sut: WaitLine;
  beforeEach(() => {
    sut = new WaitLine();
  });

  it('hands out rising tickets across keys', () => {
    const tickets = [sut.join('a', 100), sut.join('b', 100), sut.join('a', 100)];
    expect(tickets).toEqual([...tickets].sort((x, y) => x - y));
    expect(new Set(tickets).size).toBe(3);
  });

  it('lets only the first live waiter in, and a newcomer only when nobody waits', () => {
    expect(sut.mayGrant('k', null, 0)).toBe(true);
    const first = sut.join('k', 100);
    const second = sut.join('k', 100);
    expect(sut.mayGrant('k', null, 0)).toBe(false);
    expect(sut.mayGrant('k', second, 0)).toBe(false);
    expect(sut.mayGrant('k', first, 0)).toBe(true);
    sut.leave('k', first);
    expect(sut.mayGrant('k', second, 0)).toBe(true);
  });

  it('stops counting a waiter at its deadline, so it holds nobody back', () => {
    const early = sut.join('k', 50);
    const late = sut.join('k', 100);
    expect(sut.count('k', 49)).toBe(2);
    expect(sut.count('k', 50)).toBe(1);
    expect(sut.mayGrant('k', late, 50)).toBe(true);
    expect(sut.leave('k', early)).toBe(false);
  });

  it('keeps the lines of different keys apart and forgets an empty line', () => {
    const a = sut.join('a', 100);
    sut.join('b', 100);
    expect(sut.mayGrant('a', a, 0)).toBe(true);
    expect(sut.leave('a', a)).toBe(true);
    expect(sut.leave('a', a)).toBe(false);
    expect(sut.count('a', 0)).toBe(0);
    expect(sut.count('b', 0)).toBe(1);
  });
});
