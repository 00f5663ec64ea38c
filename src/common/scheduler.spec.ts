import { FakeClock } from './clock';
import { FakeScheduler } from './fake-scheduler';
import { Backoff, systemScheduler } from './scheduler';

describe(FakeScheduler.name, () => {
  it('fires a timer only when time is advanced to it, with its clock reading the due instant', async () => {
    const clock = new FakeClock(1_000);
    const sut = new FakeScheduler(clock);
    const seen: number[] = [];
    sut.after(50, () => seen.push(clock.now()));
    await sut.advance(49);
    expect(seen).toEqual([]);
    await sut.advance(10);
    expect(seen).toEqual([1_050]);
    expect(clock.now()).toBe(1_059);
    expect(sut.pending).toBe(0);
  });

  it('runs timers in due order, repeats `every`, and forgets cancelled timers', async () => {
    const sut = new FakeScheduler();
    const seen: string[] = [];
    const tick = sut.every(100, () => seen.push('every'));
    sut.after(150, () => seen.push('after'));
    sut.after(120, () => seen.push('cancelled')).cancel();
    await sut.advance(300);
    expect(seen).toEqual(['every', 'after', 'every', 'every']);
    tick.cancel();
    await sut.advance(1_000);
    expect(seen).toHaveLength(4);
    expect(sut.pending).toBe(0);
  });

  it('lets the promise work of one firing arm the next timer within the same advance', async () => {
    const sut = new FakeScheduler();
    const woke: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await sut.sleep(100);
        woke.push(sut.clock.now());
      }
    })();
    const start = sut.clock.now();
    await sut.advance(300);
    expect(woke.map((t) => t - start)).toEqual([100, 200, 300]);
  });

  it('ends a sleep early when its signal aborts, and disarms its timer', async () => {
    const sut = new FakeScheduler();
    const stop = new AbortController();
    const slept = sut.sleep(10_000, stop.signal);
    expect(sut.pending).toBe(1);
    stop.abort();
    await slept;
    expect(sut.pending).toBe(0);
  });
});

describe(Backoff.name, () => {
  it('doubles from the first delay up to the cap, and starts over after reset', () => {
    const sut = new Backoff({ firstMs: 100, maxMs: 1_000, jitter: 0 });
    expect([sut.next(), sut.next(), sut.next(), sut.next(), sut.next()]).toEqual([100, 200, 400, 800, 1_000]);
    sut.reset();
    expect(sut.next()).toBe(100);
  });

  it('draws the jittered fraction of each delay at random', () => {
    const low = new Backoff({ firstMs: 100, maxMs: 1_000, jitter: 0.5, random: () => 0 });
    const high = new Backoff({ firstMs: 100, maxMs: 1_000, jitter: 1, random: () => 0.999 });
    expect([low.next(), low.next()]).toEqual([50, 100]);
    expect(high.next()).toBeCloseTo(99.9);
  });

  it('refuses a cap below the first delay', () => {
    expect(() => new Backoff({ firstMs: 100, maxMs: 50 })).toThrow(RangeError);
  });

  it('paces retries from the configured first delay up to the configured cap, with half of each delay jittered', () => {
    const steady = Backoff.retries({ retryFirstMs: 30, retryMaxMs: 100 }, { jitter: 0 });
    expect([steady.next(), steady.next(), steady.next(), steady.next()]).toEqual([30, 60, 100, 100]);
    const jittered = Backoff.retries({ retryFirstMs: 100, retryMaxMs: 100 });
    for (let i = 0; i < 20; i++) expect(jittered.next()).toBeGreaterThanOrEqual(50);
  });
});

describe('systemScheduler', () => {
  it('fires after real time and can be cancelled', async () => {
    const fired: string[] = [];
    systemScheduler.after(1, () => fired.push('kept'));
    systemScheduler.after(1, () => fired.push('cancelled')).cancel();
    await systemScheduler.sleep(20);
    expect(fired).toEqual(['kept']);
  });
});
