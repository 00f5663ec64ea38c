import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { ConfigError, parseConfig, type Config } from './config';
import { errorStatusTable } from './error-status';
import { configureApp } from './platform/http/configure-app';
import { WillowExpressAdapter } from './platform/http/express-adapter';
import { buildOpenApiDocument, mountSwagger } from './platform/http/swagger';
import { StartupError } from './platform/lifecycle/startup-error';
import { serveTransport } from './platform/transport/serve-transport';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function bootstrap(): Promise<void> {
  const config = parseConfig(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), new WillowExpressAdapter(), {
    bodyParser: false,
    // Start-up logs wait for the JSON logger; a failed start prints its one line instead of Nest's stack trace.
    bufferLogs: true,
    autoFlushLogs: false,
    forceCloseConnections: true,
    abortOnError: false,
  });
  configureApp(app, config, errorStatusTable, { flushLogs: false });
  mountSwagger(app, buildOpenApiDocument(app));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref());
  }
  await listenOr(`WILLOW_TRANSPORT_LISTEN=${config.transportListen?.url ?? ''}`, () => serveTransport(app, config));
  await listenOr(`PORT=${config.port} (HOST=${config.host})`, () => app.listen(config.port, config.host));
  app.flushLogs();
  const logger = new NestLogger('Willow');
  logger.log(`Willow listening on http://${config.host}:${config.port} (${describeStore(config)}; API docs at /docs)`);
  logAccessMode(logger, config);
}

/** One line saying who may call: keys, loopback only (protected mode), or anyone (a warning). */
function logAccessMode(logger: NestLogger, config: Config): void {
  switch (config.access.mode) {
    case 'keys':
      logger.log('Access: every request needs an API key (WILLOW_ADMIN_KEY is set)');
      return;
    case 'protected':
      logger.log(
        'Access: protected mode: no WILLOW_ADMIN_KEY is set, so only clients on this machine are answered; set WILLOW_ADMIN_KEY to serve others with keys',
      );
      return;
    case 'off':
      logger.warn('Access: WILLOW_AUTH=off: every client is answered without a key; run Willow only behind a proxy that authenticates');
  }
}

/** A port already taken or not ours to bind is the operator's to fix: one line, not a stack trace. */
async function listenOr(what: string, listen: () => Promise<unknown>): Promise<void> {
  try {
    await listen();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new StartupError(`Cannot listen on ${what}: the address is already in use; stop the other process or choose another port`);
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new StartupError(`Cannot listen on ${what}: ${code}; choose another address or port`);
    throw error;
  }
}

function describeStore(config: Config): string {
  if (config.storage === 'postgres') return `PostgreSQL schema ${config.pgSchema}`;
  return config.dataDir === ':memory:' ? 'embedded store in memory' : `embedded store in ${config.dataDir}`;
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  process.stderr.write(`Willow failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
