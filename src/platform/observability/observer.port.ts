import type { Tags } from '../../common/tags';

/** Every event type of `GET /v1/events` (DESIGN §11), in the order the README lists them. */
export const EVENT_TYPES = [
  'item.enqueued',
  'item.collapsed',
  'item.dequeued',
  'item.acked',
  'item.failed',
  'item.expired',
  'item.dead',
  'item.cancelled',
  'channel.blocked',
  'channel.unblocked',
  'queue.paused',
  'queue.resumed',
  'lock.granted',
  'lock.released',
  'lock.expired',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Something that committed: `queue`, `id` (item or lock) and `tags` when the type has them, `at` in epoch ms. */
export interface ObservedEvent {
  readonly type: EventType;
  readonly queue: string | null;
  readonly id: string | null;
  readonly tags: Tags | null;
  readonly at: number;
  /** `tags` in their canonical encoding (valid JSON), when the emitter has it: written as is, not encoded again. */
  readonly key?: string;
}

/** One queue's gauges at scrape time. `waiting` counts due items only; `scheduled` those not yet due. */
export interface QueueGauge {
  readonly queue: string;
  readonly waiting: number;
  readonly scheduled: number;
  readonly processing: number;
  readonly dead: number;
  readonly channels: number;
  readonly blocked: number;
}

export interface LockGauge {
  readonly held: number;
  readonly waiters: number;
}

/** Read at scrape time, from what a module already keeps cheaply (its index, counts on its store's indexes). */
export interface GaugeSource {
  queues?(): Promise<QueueGauge[]>;
  locks?(): Promise<LockGauge>;
}

/**
 * What the modules tell observability (metrics and the event stream), so that no module imports a metrics library.
 * Every method is cheap and never throws; all are called after the change they describe has committed.
 */
export interface Observer {
  /** Streamed to event clients (of every instance on a shared store) and counted in this process's counters. */
  emit(event: ObservedEvent): void;
  /** Enqueue to first delivery of an item of `queue`. */
  itemWaited(queue: string, seconds: number): void;
  /** Delivery to ack (passed or failed) of an item of `queue`. */
  itemProcessed(queue: string, seconds: number): void;
  /** The Limiter refused an increment because of `rule`. */
  limiterRefused(rule: string): void;
  /** How long a granted lock was waited for. */
  lockWaited(seconds: number): void;
  /** Adds a source of gauges read at every scrape. */
  gauges(source: GaugeSource): void;
}

export const OBSERVER = Symbol('Observer');

/** Observability turned off (`WILLOW_METRICS=off`), and what services constructed without Nest get. */
export const NO_OBSERVER: Observer = Object.freeze({
  emit: () => undefined,
  itemWaited: () => undefined,
  itemProcessed: () => undefined,
  limiterRefused: () => undefined,
  lockWaited: () => undefined,
  gauges: () => undefined,
});
