import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import type { FakeScheduler } from '../../src/common/fake-scheduler';
import { parseConfig, type Config } from '../../src/config';
import { errorStatusTable } from '../../src/error-status';
import { CLOCK } from '../../src/platform/clock.token';
import { configureApp } from '../../src/platform/http/configure-app';
import { WillowExpressAdapter } from '../../src/platform/http/express-adapter';
import { SCHEDULER } from '../../src/platform/scheduler.token';

export interface TestApp {
  readonly app: NestExpressApplication;
  readonly config: Config;
  /** supertest against the real HTTP stack (body parser, pipe, filter). */
  http(): ReturnType<typeof request>;
  /** Base URL of the listening server, for raw clients (disconnect tests). */
  readonly url: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Runs after main.ts's configuration and before listening, e.g. to mount Swagger as main.ts does. */
  readonly beforeListen?: (app: NestExpressApplication) => void;
  /** Time as the app sees it (its clock and every timer), moved only by `time.advance`. */
  readonly time?: FakeScheduler;
}

/** Builds the real AppModule with main.ts's pipe, filter and body parser, on an in-memory store by default. */
export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config = parseConfig({ WILLOW_DATA_DIR: ':memory:', WILLOW_LOG_LEVEL: 'silent', ...env });
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(config)] });
  if (options.time) builder.overrideProvider(CLOCK).useValue(options.time.clock).overrideProvider(SCHEDULER).useValue(options.time);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>(new WillowExpressAdapter(), {
    bodyParser: false,
    logger: false,
    forceCloseConnections: true,
  });
  configureApp(app, config, errorStatusTable);
  options.beforeListen?.(app);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const { port } = server.address() as AddressInfo;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    http: () => request(server),
    close: () => app.close(),
  };
}
