import { Logger } from '@nestjs/common';
import type { NatsConnection, Subscription as NatsSubscription } from 'nats';
import { filter, Subject, type Observable, type Subscription } from 'rxjs';
import { Backoff, type Scheduler } from '../../common/scheduler';
import type { Timing, TransportUrl } from '../../config';
import { natsConnectionOptions, natsSubject, PrefixedClientNats } from '../../platform/transport/nats-prefixed';
import { acceptsSecret } from '../../platform/transport/rpc-secret';
import { LimiterPatterns, type CapacityFreed } from '../limiter.port';

/**
 * The consuming side of `capacityFreed$` over NATS: a subscription to the `limiter.capacityFreed` subject, on which
 * the serving Limiter publishes every event (and `{tags: null}` when it starts). NATS delivers at most once, so
 * whenever this connection (re)connects it emits `{tags: null}`: waiters blocked meanwhile check again.
 */
export class CapacitySubscription {
  private readonly logger = new Logger(CapacitySubscription.name);
  private readonly subject = new Subject<CapacityFreed>();
  private readonly client: PrefixedClientNats;
  private readonly stop = new AbortController();
  private status: Subscription | null = null;
  private subscription: NatsSubscription | null = null;
  readonly events$: Observable<CapacityFreed> = this.subject.asObservable();

  constructor(
    private readonly url: TransportUrl,
    private readonly time: { scheduler: Scheduler; timing: Timing },
  ) {
    this.client = new PrefixedClientNats(null, natsConnectionOptions(url));
  }

  start(): void {
    void this.run();
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.status?.unsubscribe();
    this.subscription?.unsubscribe();
    this.subject.complete();
    await this.client.close();
  }

  private async run(): Promise<void> {
    const backoff = Backoff.retries(this.time.timing);
    while (!this.stop.signal.aborted) {
      try {
        await this.client.connect();
        break;
      } catch (error) {
        this.logger.warn({ err: error }, 'NATS unreachable for capacity events; retrying');
        await this.time.scheduler.sleep(backoff.next(), this.stop.signal);
      }
    }
    if (this.stop.signal.aborted) return;
    const connection = this.client.unwrap<NatsConnection>();
    this.subscription = connection.subscribe(natsSubject(this.url.prefix, LimiterPatterns.capacityFreed), {
      callback: (error, msg) => {
        const event = error ? null : decode(msg.data);
        if (event) this.subject.next(event);
      },
    });
    // `connected` now (the replayed status) and after every reconnect: events may have been missed meanwhile.
    this.status = this.client.status.pipe(filter((s) => s === 'connected')).subscribe(() => this.subject.next({ tags: null }));
  }
}

/** The packet Nest's NATS serializer publishes: `{pattern, data: {requestId, secret?, body: CapacityFreed}}`. An event
 * without this deployment's transport secret is dropped. */
function decode(data: Uint8Array): CapacityFreed | null {
  try {
    const packet = JSON.parse(new TextDecoder().decode(data)) as { data?: { secret?: unknown; body?: { tags?: unknown } } };
    if (!acceptsSecret(packet.data?.secret)) return null;
    const tags = packet.data?.body?.tags;
    if (tags === null) return { tags: null };
    return typeof tags === 'object' && tags !== null ? { tags: tags as CapacityFreed['tags'] } : null;
  } catch {
    return null;
  }
}
