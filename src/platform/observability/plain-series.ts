import type { Metric, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;
interface Sample {
  readonly value: number;
  readonly labels: Labels;
  readonly metricName?: string;
}

/**
 * A counter or histogram on the per-item hot path (every enqueue, delivery and ack). Its series are plain objects the
 * caller keeps and adds to directly (no label hashing or checks per call, unlike prom-client's own metrics); the
 * registry reads them through `get()` at scrape time and writes them out like any other metric.
 */
abstract class PlainMetric<S extends { readonly labels: Labels }> {
  readonly aggregator = 'sum';
  protected readonly all: S[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  abstract readonly type: 'counter' | 'histogram';
  protected abstract samples(series: S): Sample[];
  abstract reset(): void;

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.all.flatMap((s) => this.samples(s)) };
  }
}

export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

export class PlainCounter extends PlainMetric<CounterSeries> {
  readonly type = 'counter';

  /** A new series with these labels (call once per label set and keep it). */
  series(labels: Labels): CounterSeries {
    const series = { labels, value: 0 };
    this.all.push(series);
    return series;
  }

  reset(): void {
    for (const s of this.all) s.value = 0;
  }

  protected samples(s: CounterSeries): Sample[] {
    return [{ value: s.value, labels: s.labels }];
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one counts those above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export class PlainHistogram extends PlainMetric<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, registry);
  }

  series(labels: Labels): HistogramSeries {
    const series = new HistogramSeries(labels, this.bounds);
    this.all.push(series);
    return series;
  }

  reset(): void {
    for (const s of this.all) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  protected samples(s: HistogramSeries): Sample[] {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    const out: Sample[] = this.bounds.map((le, i) => ({ value: (cumulative += s.counts[i]), labels: { le: String(le), ...s.labels }, metricName: bucket }));
    out.push({ value: s.count, labels: { le: '+Inf', ...s.labels }, metricName: bucket });
    out.push({ value: s.sum, labels: s.labels, metricName: `${this.name}_sum` });
    out.push({ value: s.count, labels: s.labels, metricName: `${this.name}_count` });
    return out;
  }
}
