import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { ConfigError, parseConfig } from './config';
import { errorStatusTable } from './error-status';
import { configureApp } from './platform/http/configure-app';
import { buildOpenApiDocument, mountSwagger } from './platform/http/swagger';
import { serveTransport } from './platform/transport/serve-transport';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    forceCloseConnections: true,
  });
  configureApp(app, config, errorStatusTable);
  mountSwagger(app, buildOpenApiDocument(app));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref());
  }
  await serveTransport(app, config);
  await app.listen(config.port, config.host);
}

void bootstrap();
