import { FifoWaiters } from './fifo-waiters';

describe(FifoWaiters.name, () => {
  let sut: FifoWaiters<string>;
  beforeEach(() => {
    sut = new FifoWaiters<string>();
  });

  const drain = (key: string): string[] => {
    const order: string[] = [];
    for (let w = sut.first(key); w !== undefined; w = sut.first(key)) {
      order.push(w);
      sut.remove(key, w);
    }
    return order;
  };

  it('hands out waiters in arrival order', () => {
    for (const w of ['w1', 'w2', 'w3', 'w4']) sut.add('k', w);
    expect(drain('k')).toEqual(['w1', 'w2', 'w3', 'w4']);
  });

  it('keeps the order of the others when a waiter in the middle gives up', () => {
    for (const w of ['w1', 'w2', 'w3']) sut.add('k', w);
    expect(sut.remove('k', 'w2')).toBe(true);
    expect(sut.count('k')).toBe(2);
    expect(drain('k')).toEqual(['w1', 'w3']);
  });

  it('reports whether a waiter was queued; removing it twice or under another key is a no-op', () => {
    sut.add('k', 'w1');
    expect(sut.remove('other', 'w1')).toBe(false);
    expect(sut.remove('k', 'w1')).toBe(true);
    expect(sut.remove('k', 'w1')).toBe(false);
  });

  it('forgets a key once its last waiter leaves', () => {
    sut.add('k', 'w1');
    expect(sut.has('k')).toBe(true);
    sut.remove('k', 'w1');
    expect(sut.has('k')).toBe(false);
    expect(sut.count('k')).toBe(0);
    expect(sut.first('k')).toBeUndefined();
    expect([...sut.all()]).toEqual([]);
  });

  it('keeps the queues of different keys apart', () => {
    sut.add('a', 'a1');
    sut.add('b', 'b1');
    sut.add('a', 'a2');
    expect([sut.count('a'), sut.count('b')]).toEqual([2, 1]);
    expect(sut.first('b')).toBe('b1');
    expect(drain('a')).toEqual(['a1', 'a2']);
    expect(sut.has('b')).toBe(true);
  });

  it('lists every waiter of every key, in arrival order per key', () => {
    sut.add('a', 'a1');
    sut.add('b', 'b1');
    sut.add('a', 'a2');
    sut.add('b', 'b2');
    const all = [...sut.all()];
    expect(all.filter((w) => w.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(all.filter((w) => w.startsWith('b'))).toEqual(['b1', 'b2']);
  });

  it('lets a caller remove waiters while walking a snapshot of all()', () => {
    sut.add('a', 'a1');
    sut.add('a', 'a2');
    sut.add('b', 'b1');
    for (const w of [...sut.all()]) sut.remove(w[0], w);
    expect([...sut.all()]).toEqual([]);
    expect([sut.has('a'), sut.has('b')]).toEqual([false, false]);
  });

  it('queues a waiter once, even if added twice', () => {
    sut.add('k', 'w1');
    sut.add('k', 'w1');
    expect(sut.count('k')).toBe(1);
  });
});

describe(`${FifoWaiters.name} with a rank`, () => {
  it('keeps rank order when waiters are added out of it, and appends in order otherwise', () => {
    const sut = new FifoWaiters<{ ticket: number }>((w) => w.ticket);
    const [t1, t2, t3, t4] = [1, 2, 3, 4].map((ticket) => ({ ticket }));
    sut.add('k', t2);
    sut.add('k', t1);
    sut.add('k', t4);
    sut.add('k', t3);
    expect([...sut.all()]).toEqual([t1, t2, t3, t4]);
    expect(sut.includes('k', t3)).toBe(true);
    expect(sut.keys()).toEqual(['k']);
  });
});
