import type { INestApplication } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { Config } from '../../config';
import { microserviceOptions } from './client-options';

/**
 * WILLOW_TRANSPORT_LISTEN: serve this process's RPC controllers on the transport too (a hybrid app). Call after the
 * global pipe and filter are set: `inheritAppConfig` applies them to RPC handlers as well.
 */
export async function serveTransport(app: INestApplication, config: Config): Promise<void> {
  if (!config.transportListen) return;
  app.connectMicroservice<MicroserviceOptions>(microserviceOptions(config.transportListen), { inheritAppConfig: true });
  await app.startAllMicroservices();
}
