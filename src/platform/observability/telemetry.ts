import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ALREADY_COMMITTED, type PgChannel } from '../storage/postgres/pg-channel';
import { STORAGE, type StorageHandle } from '../storage/storage-handle';
import { EventHub } from './event-hub';
import { EVENT_RELAY, packEvents } from './event-relay';
import type { GaugeSource, ObservedEvent, Observer } from './observer.port';
import { WillowMetrics } from './willow-metrics';

/**
 * The Observer the modules call: counts into this process's metrics, streams to this process's event clients, and
 * on PostgreSQL tells the other instances, whose clients then receive the event too.
 */
@Injectable()
export class Telemetry implements Observer, OnModuleInit {
  private readonly logger = new Logger(Telemetry.name);
  private relay: PgChannel<readonly ObservedEvent[]> | null = null;
  /** Events of this turn not yet relayed: sent together at its end, packed several to a notification. */
  private unsent: ObservedEvent[] = [];

  constructor(
    @Inject(STORAGE) private readonly storage: StorageHandle,
    private readonly metrics: WillowMetrics,
    private readonly hub: EventHub,
  ) {}

  async onModuleInit(): Promise<void> {
    this.storage.observeCommits((seconds) => this.metrics.storeCommitted(seconds));
    if (this.storage.kind === 'embedded') this.storage.observeFlushes((seconds) => this.metrics.storeFlushed(seconds));
    if (this.storage.kind !== 'postgres') return;
    const relay = this.storage.channel(EVENT_RELAY);
    // Live only: events sent while the listening connection was down are not replayed, so a resync needs nothing; and
    // while no client of this process streams events, the other instances' are not even read.
    await relay.listen({
      message: (events) => events.forEach((event) => this.hub.deliver(event)),
      wanted: () => this.hub.size > 0,
      resync: () => undefined,
    });
    this.relay = relay;
  }

  emit(event: ObservedEvent): void {
    this.metrics.count(event);
    this.hub.deliver(event);
    if (!this.relay) return;
    if (this.unsent.length === 0) queueMicrotask(() => this.relayUnsent());
    this.unsent.push(event);
  }

  /** Never throws into an emitter, whose change has committed: events that cannot be relayed are logged and lost. */
  private relayUnsent(): void {
    const events = this.unsent;
    this.unsent = [];
    for (const group of packEvents(events)) {
      const lost = (error: unknown) =>
        this.logger.warn({ err: error, events: group.length, type: group[0].type }, 'events could not be relayed to other instances');
      try {
        this.relay?.send(ALREADY_COMMITTED, group).catch(lost);
      } catch (error) {
        lost(error);
      }
    }
  }

  itemWaited(queue: string, seconds: number): void {
    this.metrics.itemWaited(queue, seconds);
  }

  itemProcessed(queue: string, seconds: number): void {
    this.metrics.itemProcessed(queue, seconds);
  }

  limiterRefused(rule: string): void {
    this.metrics.limiterRefused(rule);
  }

  lockWaited(seconds: number): void {
    this.metrics.lockWaited(seconds);
  }

  gauges(source: GaugeSource): void {
    this.metrics.addSource(source);
  }
}
