import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { errorStatusTable } from '../../src/error-status';
import { LimiterPatterns } from '../../src/limiter';
import { LimitReachedError } from '../../src/limiter/domain/limiter.errors';
import { DomainErrorFilter } from '../../src/platform/http/domain-error.filter';
import { freePort } from '../support/child-server';
import { createTestApp, type TestApp } from '../support/test-app';

const REFUSAL = { rule: 'limit_cicd_branch_builds', override: null, limit: 1, count: 1 };

/** A limiter process whose port refuses every increment with LIMIT_REACHED (as an error, not a value). */
@Controller()
class RefusingLimiter {
  @MessagePattern(LimiterPatterns.tryIncrementMany)
  tryIncrementMany(): never {
    throw new LimitReachedError(REFUSAL);
  }

  @MessagePattern(LimiterPatterns.listCounters)
  listCounters() {
    return { items: [], nextCursor: null };
  }

  @MessagePattern(LimiterPatterns.events)
  async events() {
    await new Promise((r) => setTimeout(r, 200));
    return { cursor: 'stub:0', events: [] };
  }

  @MessagePattern(LimiterPatterns.ping)
  ping() {
    return 'pong';
  }
}

/** Domain errors keep their Code, Message and details across the transport, up to the HTTP client. */
describe('remote domain errors', () => {
  let stub: INestMicroservice;
  let queue: TestApp;
  let monolith: TestApp;

  beforeAll(async () => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({ controllers: [RefusingLimiter] }).compile();
    stub = moduleRef.createNestMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port }, logger: false });
    stub.useGlobalFilters(new DomainErrorFilter(errorStatusTable));
    await stub.listen();
    queue = await createTestApp({ WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: `tcp://127.0.0.1:${port}` });
    monolith = await createTestApp();
  });

  afterAll(async () => {
    await queue?.close();
    await monolith?.close();
    await stub?.close();
  });

  it('answers a LIMIT_REACHED raised in the limiter process with the same 409 body the limiter itself gives', async () => {
    await monolith.http().post('/v1/limiter/rules').send({ Name: REFUSAL.rule, GroupBy: ['repo'], Limit: 1 }).expect(201);
    await monolith.http().post('/v1/limiter/counters').send({ KeyValues: { repo: 'w' } }).expect(200);
    const local = await monolith.http().post('/v1/limiter/counters').send({ KeyValues: { repo: 'w' } }).expect(409);

    await queue.http().post('/v1/queues').send({ Name: 'ci' }).expect(201);
    await queue.http().post('/v1/queues/ci/items').send({ KeyValues: { repo: 'w' }, Data: 1 }).expect(201);
    const remote = await queue.http().post('/v1/queues/ci/items/dequeue').send({ Wait: 0 }).expect(409);
    expect(remote.body).toEqual(local.body);
    expect(remote.body).toMatchObject({ Code: 'LIMIT_REACHED', Rule: REFUSAL.rule, Limit: 1, Count: 1 });
  });
});
