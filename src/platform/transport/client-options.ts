import { ClientTCP, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { TransportUrl } from '../../config';
import type { RpcClient } from './rpc-caller';
import { PrefixedClientNats, PrefixedServerNats, natsConnectionOptions } from './nats-prefixed';

/**
 * The one place a transport URL becomes Nest options: `tcp://host:port` or `nats://host:port[/prefix]`. The URL itself
 * is validated by `parseConfig` (a bad one is a ConfigError naming its variable).
 */
export function createClientProxy(url: TransportUrl): RpcClient {
  switch (url.transport) {
    case 'tcp':
      return new ClientTCP({ host: url.host, port: url.port });
    case 'nats':
      return new PrefixedClientNats(url.prefix, natsConnectionOptions(url));
  }
}

/** Options for `app.connectMicroservice`: serve this process's RPC controllers on `url`. */
export function microserviceOptions(url: TransportUrl): MicroserviceOptions {
  switch (url.transport) {
    case 'tcp':
      return { transport: Transport.TCP, options: { host: url.host, port: url.port } };
    case 'nats':
      return { strategy: new PrefixedServerNats(url.prefix, { ...natsConnectionOptions(url), queue: 'willow' }) };
  }
}
