import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Config } from '../../config';
import { ShutdownSignal } from '../lifecycle/shutdown-signal';
import { HTTP_METRICS, httpMetrics } from '../observability/http-metrics';
import type { WillowMetrics } from '../observability/willow-metrics';
import { BodyFaultGuard, jsonBody } from './body-parser';
import { DomainErrorFilter } from './domain-error.filter';
import type { ErrorStatusTable } from './kernel.error-status';
import { assignRequestId } from './request-id';
import { REQUEST_LOG_BINDER, type RequestLogBinder } from './request-log';
import { ACCESS_GUARD, type AccessGuard } from './require-scope';
import { createValidationPipe } from './validation-pipe';

/** Everything main.ts applies to the app, shared with the e2e tests so they exercise the real stack. */
export function configureApp(
  app: NestExpressApplication,
  config: Config,
  statusByCode: ErrorStatusTable,
  opts: { flushLogs: boolean } = { flushLogs: true },
): INestApplication {
  app.useLogger(app.get(Logger));
  // main.ts keeps start-up logs buffered until it listens, so a port in use prints its one line alone.
  if (opts.flushLogs) app.flushLogs();
  keepIdleConnections(app.getHttpServer() as Server, config.keepAliveMs);
  app.disable('x-powered-by');
  app.set('etag', false);
  // First, so that every answer carries the request id, even one the body parser refuses.
  const bindLog = app.get<RequestLogBinder | null>(REQUEST_LOG_BINDER);
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const id = assignRequestId(req, res);
    bindLog?.(req, id);
    next();
  });
  const metrics = app.get<WillowMetrics | null>(HTTP_METRICS);
  if (metrics) app.use(httpMetrics(metrics));
  const shutdown = app.get(ShutdownSignal);
  // Shutdown waits for these answers before Nest closes the server and destroys the sockets.
  app.use((_req: unknown, res: ServerResponse, next: () => void) => {
    shutdown.track(res);
    next();
  });
  // CORS stays off (no CORS headers, so browsers refuse cross-origin calls) unless origins are listed.
  if (config.access.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.access.corsOrigins],
      allowedHeaders: ['Authorization', 'Content-Type', 'Content-Encoding', 'X-Request-ID'],
      exposedHeaders: ['Willow-Next-Cursor', 'X-Request-ID', 'Retry-After', 'WWW-Authenticate'],
      maxAge: 600,
    });
  }
  const access = app.get<AccessGuard>(ACCESS_GUARD);
  const parseBody = jsonBody(config.maxBodyBytes);
  // A request that access refuses whatever it holds is answered without reading its body (up to 16 MiB of JSON).
  app.use((req: Request, res: Response, next: NextFunction) => (access.refusesUnread(req) ? next() : parseBody(req, res, next)));
  // Access first: a client without a key learns nothing about its request, not even that its body is malformed.
  app.useGlobalGuards(access, new BodyFaultGuard());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new DomainErrorFilter(statusByCode));
  app.enableShutdownHooks();
  return app;
}

/**
 * Idle client connections stay open `keepAliveMs` (Node's default is 5 s, below the idle timeout of common load
 * balancers and client pools, which then reuse a connection the server is closing). The header and request timeouts
 * stay Node's: on Node 20 they run from a request's first byte, not from the connection's idle start, so a long
 * keep-alive does not need them raised (and raising them would only give slow senders longer).
 */
function keepIdleConnections(server: Server, keepAliveMs: number): void {
  server.keepAliveTimeout = keepAliveMs;
}
