import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { CONFIG, type Config } from '../../config';
import { natsConnectionOptions, PrefixedClientNats } from '../../platform/transport/nats-prefixed';
import { envelope } from '../../platform/transport/rpc-envelope';
import { CapacityEvents } from '../capacity-events';
import { LimiterPatterns, type CapacityFreed } from '../limiter.port';

/**
 * When this process serves its ports over NATS (WILLOW_TRANSPORT_LISTEN=nats://…), publishes every capacity-freed
 * event on the `limiter.capacityFreed` subject, and `{tags: null}` once on start (a restarted Limiter may have lost
 * events its subscribers were owed). Over TCP the `limiter.events` long-poll carries them instead.
 */
@Injectable()
export class CapacityPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CapacityPublisher.name);
  private client: PrefixedClientNats | null = null;
  private subscription: Subscription | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly events: CapacityEvents,
  ) {}

  onApplicationBootstrap(): void {
    const url = this.config.transportListen;
    if (url?.transport !== 'nats') return;
    this.client = new PrefixedClientNats(url.prefix, natsConnectionOptions(url));
    this.publish({ tags: null });
    this.subscription = this.events.stream$.subscribe((event) => this.publish(event));
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.client?.close();
  }

  private publish(event: CapacityFreed): void {
    this.client?.emit(LimiterPatterns.capacityFreed, envelope(event)).subscribe({
      error: (error: unknown) => this.logger.warn({ err: error }, 'capacity event not published'),
    });
  }
}
