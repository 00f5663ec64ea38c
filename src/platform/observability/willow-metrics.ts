import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventType, GaugeSource, ObservedEvent } from './observer.port';
import { PlainCounter, PlainHistogram, type CounterSeries, type HistogramSeries } from './plain-series';

/** Item times run from milliseconds (a waiting consumer) to hours (a backlog, a long build). */
const ITEM_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3_600, 14_400];
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The item counters each event type adds one to (DESIGN §11); other types count nowhere. */
const COUNTED: Partial<Record<EventType, { name: string; help: string; result?: 'passed' | 'failed' }>> = {
  'item.enqueued': { name: 'willow_items_enqueued_total', help: 'Items added to a queue by this process (collapses not included).' },
  'item.collapsed': { name: 'willow_items_collapsed_total', help: 'Enqueues that replaced a waiting item in place.' },
  'item.dequeued': { name: 'willow_items_dequeued_total', help: 'Deliveries handed out by this process.' },
  'item.acked': { name: 'willow_items_acked_total', help: 'Acks by result.', result: 'passed' },
  'item.failed': { name: 'willow_items_acked_total', help: 'Acks by result.', result: 'failed' },
  'item.expired': { name: 'willow_items_expired_total', help: 'Deliveries whose lease ran out, settled by this process.' },
  'item.dead': { name: 'willow_items_dead_total', help: 'Items moved to dead letters by this process.' },
};

/**
 * Every metric of DESIGN §11 in one registry of its own (several apps in one process, as in tests, never share
 * one). Counters count this process; gauges are read from the sources at each scrape. Label values are queue names,
 * rule names, HTTP methods, route patterns and status codes: bounded sets, never item ids or tag values.
 */
export class WillowMetrics {
  readonly registry = new Registry();
  /** The per-item metrics are plain series (see PlainCounter), each looked up by event type and queue. */
  private readonly counters = new Map<string, PlainCounter>();
  private readonly countSeries = new Map<EventType, Map<string, CounterSeries>>();
  private readonly itemWait = new PlainHistogram('willow_item_wait_seconds', 'Enqueue to first delivery.', ITEM_BUCKETS, this.registry);
  private readonly itemProcessing = new PlainHistogram('willow_item_processing_seconds', 'Delivery to ack (passed or failed).', ITEM_BUCKETS, this.registry);
  private readonly timeSeries = new Map<PlainHistogram, Map<string, HistogramSeries>>();
  private readonly refusals = new Counter({ name: 'willow_limiter_refusals_total', help: 'Increments the Limiter refused, by rule.', labelNames: ['rule'], registers: [this.registry] });
  private readonly lockWait = this.histogram('willow_lock_wait_seconds', 'How long granted locks were waited for.', [], ITEM_BUCKETS);
  private readonly http = this.histogram('willow_http_request_duration_seconds', 'HTTP answers by route pattern.', ['method', 'route', 'status'], HTTP_BUCKETS);
  private readonly commits = this.histogram('willow_store_commit_seconds', 'Store transactions: SQLite group commits, PostgreSQL transactions.', [], COMMIT_BUCKETS);
  private readonly flushes = this.histogram(
    'willow_store_flush_seconds',
    'Flushes of the embedded store log to disk (WILLOW_SYNC=full), each covering the group commits before it.',
    [],
    COMMIT_BUCKETS,
  );
  private readonly queueItems = this.gauge('willow_queue_items', 'Items per queue and state (waiting: due; scheduled: not yet due).', ['queue', 'state']);
  private readonly channels = this.gauge('willow_channels', 'Channels holding waiting or processing items.', ['queue']);
  private readonly blocked = this.gauge('willow_channels_blocked', 'Channels blocked by a Limiter rule.', ['queue']);
  private readonly locksHeld = this.gauge('willow_locks_held', 'Locks held.', []);
  private readonly lockWaiters = this.gauge('willow_lock_waiters', 'Acquires waiting for a lock.', []);
  private readonly sources: GaugeSource[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const { name, help } of Object.values(COUNTED)) {
      if (!this.counters.has(name)) this.counters.set(name, new PlainCounter(name, help, this.registry));
    }
  }

  count(event: ObservedEvent): void {
    const counted = COUNTED[event.type];
    if (!counted || event.queue === null) return;
    let byQueue = this.countSeries.get(event.type);
    if (!byQueue) this.countSeries.set(event.type, (byQueue = new Map()));
    let series = byQueue.get(event.queue);
    if (!series) {
      const labels: Record<string, string> = counted.result ? { queue: event.queue, result: counted.result } : { queue: event.queue };
      byQueue.set(event.queue, (series = this.counters.get(counted.name)!.series(labels)));
    }
    series.value++;
  }

  itemWaited(queue: string, seconds: number): void {
    this.perQueue(this.itemWait, queue).observe(seconds);
  }

  itemProcessed(queue: string, seconds: number): void {
    this.perQueue(this.itemProcessing, queue).observe(seconds);
  }

  limiterRefused(rule: string): void {
    this.refusals.inc({ rule });
  }

  lockWaited(seconds: number): void {
    this.lockWait.observe(seconds);
  }

  httpAnswered(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }

  storeCommitted(seconds: number): void {
    this.commits.observe(seconds);
  }

  storeFlushed(seconds: number): void {
    this.flushes.observe(seconds);
  }

  addSource(source: GaugeSource): void {
    this.sources.push(source);
  }

  /** The text exposition, after reading every gauge source (a deleted queue's series disappear). */
  async render(): Promise<string> {
    const queues = (await Promise.all(this.sources.map((s) => s.queues?.() ?? Promise.resolve([])))).flat();
    this.queueItems.reset();
    this.channels.reset();
    this.blocked.reset();
    for (const q of queues) {
      for (const state of ['waiting', 'scheduled', 'processing', 'dead'] as const) this.queueItems.set({ queue: q.queue, state }, q[state]);
      this.channels.set({ queue: q.queue }, q.channels);
      this.blocked.set({ queue: q.queue }, q.blocked);
    }
    const locks = await Promise.all(this.sources.flatMap((s) => (s.locks ? [s.locks()] : [])));
    this.locksHeld.set(locks.reduce((sum, l) => sum + l.held, 0));
    this.lockWaiters.set(locks.reduce((sum, l) => sum + l.waiters, 0));
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private perQueue(histogram: PlainHistogram, queue: string): HistogramSeries {
    let byQueue = this.timeSeries.get(histogram);
    if (!byQueue) this.timeSeries.set(histogram, (byQueue = new Map()));
    let series = byQueue.get(queue);
    if (!series) byQueue.set(queue, (series = histogram.series({ queue })));
    return series;
  }

  private histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
