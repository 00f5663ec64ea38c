import { ClientNats, ServerNats, type NatsOptions } from '@nestjs/microservices';
import type { TransportUrl } from '../../config';

type NatsConnectionOptions = NonNullable<NatsOptions['options']>;

/** Reconnect forever: a NATS outage must end in recovery, never in a client that has given up. */
export function natsConnectionOptions(url: TransportUrl): NatsConnectionOptions {
  return {
    servers: [`nats://${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`],
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
    ...(url.credentials ? { user: url.credentials.user, pass: url.credentials.pass } : {}),
  };
}

/** `<prefix>.<pattern>`, or the bare pattern without a prefix: the NATS subject of a pattern. */
export function natsSubject(prefix: string | null, pattern: string): string {
  return prefix ? `${prefix}.${pattern}` : pattern;
}

/** A NATS client whose subjects carry the deployment's prefix. */
export class PrefixedClientNats extends ClientNats {
  constructor(
    private readonly prefix: string | null,
    options: NatsConnectionOptions,
  ) {
    super(options);
  }

  protected override normalizePattern(pattern: Parameters<ClientNats['normalizePattern']>[0]): string {
    return natsSubject(this.prefix, super.normalizePattern(pattern));
  }
}

/** A NATS server that subscribes to each handler's pattern under the deployment's prefix. */
export class PrefixedServerNats extends ServerNats {
  constructor(
    private readonly prefix: string | null,
    private readonly natsOptions: NatsConnectionOptions & { queue?: string },
  ) {
    super(natsOptions);
  }

  /** As ServerNats does, but under the prefix; closing the connection ends these subscriptions. */
  override bindEvents(client: Parameters<ServerNats['bindEvents']>[0]): void {
    for (const [pattern, handler] of this.messageHandlers) {
      client.subscribe(natsSubject(this.prefix, pattern), {
        queue: (handler.extras?.queue as string | undefined) ?? this.natsOptions.queue,
        callback: this.getMessageHandler(pattern).bind(this),
      });
    }
  }
}
