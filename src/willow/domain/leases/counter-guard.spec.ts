import { CounterGuard } from './counter-guard';

describe(CounterGuard.name, () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs shared holds together', async () => {
    const sut = new CounterGuard();
    const gate = deferred();
    const log: string[] = [];
    const a = sut.shared(async () => (log.push('a'), await gate.promise));
    const b = sut.shared(async () => (log.push('b'), await gate.promise));
    await tick();
    expect(log).toEqual(['a', 'b']);
    gate.resolve();
    await Promise.all([a, b]);
  });

  it('runs an exclusive hold only once the shared holds in flight have ended, and holds new ones back until it is done', async () => {
    const sut = new CounterGuard();
    const first = deferred();
    const log: string[] = [];
    const before = sut.shared(async () => (await first.promise, log.push('before ends')));
    await tick();
    const alone = sut.alone(async () => log.push('alone'));
    const after = sut.shared(async () => log.push('after'));
    await tick();
    expect(log).toEqual([]);
    first.resolve();
    await Promise.all([before, alone, after]);
    expect(log).toEqual(['before ends', 'alone', 'after']);
  });

  it('runs exclusive holds one at a time and releases the guard when one fails', async () => {
    const sut = new CounterGuard();
    const log: string[] = [];
    const failing = sut.alone(async () => {
      log.push('first');
      throw new Error('boom');
    });
    const second = sut.alone(async () => log.push('second'));
    await expect(failing).rejects.toThrow('boom');
    await second;
    await sut.shared(async () => log.push('shared'));
    expect(log).toEqual(['first', 'second', 'shared']);
  });
});
