import { Counter, Histogram, Registry } from 'prom-client';
import { PlainCounter, PlainHistogram } from './plain-series';

/** The plain series must read exactly as prom-client's own metrics would after the same observations. */
describe('plain series', () => {
  const BOUNDS = [0.1, 1, 10];

  it('write a counter as prom-client does', async () => {
    const plain = new Registry();
    const reference = new Registry();
    const sut = new PlainCounter('c_total', 'help', plain);
    const ref = new Counter({ name: 'c_total', help: 'help', labelNames: ['queue', 'result'], registers: [reference] });
    const a = sut.series({ queue: 'a', result: 'passed' });
    const b = sut.series({ queue: 'b "x"', result: 'failed' });
    a.value += 3;
    b.value++;
    ref.inc({ queue: 'a', result: 'passed' }, 3);
    ref.inc({ queue: 'b "x"', result: 'failed' });
    expect(await plain.metrics()).toBe(await reference.metrics());
  });

  it('write a histogram as prom-client does, bounds inclusive, with +Inf, sum and count', async () => {
    const plain = new Registry();
    const reference = new Registry();
    const sut = new PlainHistogram('h_seconds', 'help', BOUNDS, plain);
    const ref = new Histogram({ name: 'h_seconds', help: 'help', labelNames: ['queue'], buckets: BOUNDS, registers: [reference] });
    const series = sut.series({ queue: 'q' });
    for (const v of [0, 0.1, 0.5, 1, 7, 10, 11, 1_000]) {
      series.observe(v);
      ref.observe({ queue: 'q' }, v);
    }
    expect(await plain.metrics()).toBe(await reference.metrics());
    plain.resetMetrics();
    expect(await plain.metrics()).toContain('h_seconds_count{queue="q"} 0');
  });
});
