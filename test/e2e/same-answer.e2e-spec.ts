import { randomBytes } from 'node:crypto';
import { describePostgres, dropSchema, freshSchemaName } from '../conformance/support/postgres-fixture';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(60_000);

interface World {
  readonly sut: TestApp;
  readonly itemId: string;
  readonly lockId: string;
}

type Probe = (w: World) => { method: 'get' | 'post' | 'put' | 'delete'; path: string; body?: object };

/** One queue with one item processing, one rule with one override, one held lock. */
async function seed(sut: TestApp): Promise<World> {
  await sut.http().post('/v1/queues').send({ Name: 'q' }).expect(201);
  await sut.http().post('/v1/queues/q/items').send({ KeyValues: { a: 1 }, Data: 1 }).expect(201);
  const itemId = (await sut.http().post('/v1/queues/q/items/dequeue').send({ Wait: 0 }).expect(200)).body.ID as string;
  await sut.http().post('/v1/limiter/rules').send({ Name: 'r', GroupBy: ['a'], Limit: 5 }).expect(201);
  await sut.http().post('/v1/limiter/rules/r/overrides').send({ Name: 'o', KeyValues: { a: 1 }, Limit: 2 }).expect(201);
  const lockId = (await sut.http().post('/v1/locks').send({ KeyValues: { l: 1 }, Wait: 0 }).expect(201)).body.LockID as string;
  return { sut, itemId, lockId };
}

async function answer(w: World, probe: Probe): Promise<[number, unknown]> {
  const { method, path, body } = probe(w);
  const req = w.sut.http()[method](path);
  const res = body === undefined ? await req : await req.send(body);
  const results = (res.body as { Results?: Array<{ Status: number; Code?: string }> }).Results;
  return [res.status, results ? results.map((r) => [r.Status, r.Code]) : (res.body as { Code?: unknown }).Code];
}

const NUL = '\u0000';
const cursorPaths = ['/v1/queues', '/v1/queues/q/channels', '/v1/queues/q/dead-letters', '/v1/limiter/rules', '/v1/limiter/rules/r/overrides', '/v1/limiter/counters', '/v1/locks'];
/** Cursors no listing ever sent: a NUL byte (`AA`), bytes that are not UTF-8 (`_w`), bits that do not round-trip
 * (`AB`), characters outside base64url (`!!`). */
const badCursors = ['AA', '_w', 'AB', '%21%21'];

/** The largest tag set DESIGN §3 allows, near enough: 64 keys, values of 1000 characters that do not compress. Its
 * encoding (~70 KB) is larger than a PostgreSQL index entry may be. */
const LARGEST = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, randomBytes(500).toString('hex')]));
const LARGEST_QUERY = { Where: { k0: LARGEST.k0, k63: LARGEST.k63 } };

/** [what, probe, status, Code] — the one answer both stores must give. */
const cases: Array<[string, Probe, number, unknown]> = [
  ...cursorPaths.flatMap((p) =>
    badCursors.map((c): [string, Probe, number, unknown] => [`GET ${p} with the cursor ${c}`, () => ({ method: 'get', path: `${p}?Cursor=${c}` }), 400, 'INVALID_INPUT']),
  ),
  ['GET a dead-letter listing with a cursor that is no place', () => ({ method: 'get', path: `/v1/queues/q/dead-letters?Cursor=${Buffer.from('x').toString('base64url')}` }), 400, 'INVALID_INPUT'],
  ['GET a queue with a NUL in its name', () => ({ method: 'get', path: '/v1/queues/q%00' }), 404, 'QUEUE_NOT_FOUND'],
  ['PUT a queue with a NUL in its name', () => ({ method: 'put', path: '/v1/queues/q%00', body: { MaxItems: 3 } }), 404, 'QUEUE_NOT_FOUND'],
  ['DELETE a queue with a NUL in its name', () => ({ method: 'delete', path: '/v1/queues/q%00' }), 404, 'QUEUE_NOT_FOUND'],
  ['enqueue into a queue with a NUL in its name', () => ({ method: 'post', path: '/v1/queues/q%00/items', body: { KeyValues: { a: 1 }, Data: 1 } }), 404, 'QUEUE_NOT_FOUND'],
  ['dequeue from a queue with a NUL in its name', () => ({ method: 'post', path: '/v1/queues/q%00/items/dequeue', body: { Wait: 0 } }), 404, 'QUEUE_NOT_FOUND'],
  ['list channels of a queue with a NUL in its name', () => ({ method: 'get', path: '/v1/queues/q%00/channels' }), 404, 'QUEUE_NOT_FOUND'],
  ['create a queue whose Name holds a NUL', () => ({ method: 'post', path: '/v1/queues', body: { Name: `n${NUL}` } }), 400, 'INVALID_INPUT'],
  ['heartbeat an item id with a NUL', (w) => ({ method: 'post', path: `/v1/queues/q/items/${w.itemId}%00/heartbeat`, body: {} }), 404, 'ITEM_NOT_FOUND'],
  ['ack an item id with a NUL', (w) => ({ method: 'post', path: `/v1/queues/q/items/${w.itemId}%00/ack`, body: { Passed: true } }), 404, 'ITEM_NOT_FOUND'],
  ['ack-batch an item id with a NUL', (w) => ({ method: 'post', path: '/v1/queues/q/items/ack-batch', body: { Acks: [{ ID: `${w.itemId}${NUL}`, Passed: true }] } }), 200, [[404, 'ITEM_NOT_FOUND']]],
  ['heartbeat with an Attempt above the SQL integer range', (w) => ({ method: 'post', path: `/v1/queues/q/items/${w.itemId}/heartbeat`, body: { Attempt: 2 ** 40 } }), 409, 'LEASE_LOST'],
  ['ack with an Attempt above the SQL integer range', (w) => ({ method: 'post', path: `/v1/queues/q/items/${w.itemId}/ack`, body: { Passed: false, Attempt: 2 ** 40 } }), 409, 'LEASE_LOST'],
  ['requeue a dead-letter id with a NUL', () => ({ method: 'post', path: '/v1/queues/q/dead-letters/x%00/requeue' }), 404, 'DEAD_LETTER_NOT_FOUND'],
  ['delete a dead-letter id with a NUL', () => ({ method: 'delete', path: '/v1/queues/q/dead-letters/x%00' }), 404, 'DEAD_LETTER_NOT_FOUND'],
  ['heartbeat a LockID with a NUL', (w) => ({ method: 'post', path: `/v1/locks/${w.lockId}%00/heartbeat`, body: { SessionID: 'ss_x' } }), 404, 'LOCK_NOT_FOUND'],
  ['release a LockID with a NUL', (w) => ({ method: 'delete', path: `/v1/locks/${w.lockId}%00?SessionID=ss_x` }), 404, 'LOCK_NOT_FOUND'],
  ['heartbeat with a SessionID holding a NUL', (w) => ({ method: 'post', path: `/v1/locks/${w.lockId}/heartbeat`, body: { SessionID: `ss${NUL}` } }), 409, 'SESSION_INVALID'],
  ['heartbeat an unknown lock with a SessionID holding a NUL', () => ({ method: 'post', path: '/v1/locks/lk_nope/heartbeat', body: { SessionID: `ss${NUL}` } }), 404, 'LOCK_NOT_FOUND'],
  ['release with a SessionID holding a NUL', (w) => ({ method: 'delete', path: `/v1/locks/${w.lockId}?SessionID=ss%00` }), 409, 'SESSION_INVALID'],
  ['GET a rule with a NUL in its name', () => ({ method: 'get', path: '/v1/limiter/rules/r%00' }), 404, 'RULE_NOT_FOUND'],
  ['PUT a rule with a NUL in its name', () => ({ method: 'put', path: '/v1/limiter/rules/r%00', body: { Limit: 3 } }), 404, 'RULE_NOT_FOUND'],
  ['DELETE a rule with a NUL in its name', () => ({ method: 'delete', path: '/v1/limiter/rules/r%00' }), 404, 'RULE_NOT_FOUND'],
  ['create an override under a rule with a NUL in its name', () => ({ method: 'post', path: '/v1/limiter/rules/r%00/overrides', body: { Name: 'o2', KeyValues: { a: 2 }, Limit: 1 } }), 404, 'RULE_NOT_FOUND'],
  ['GET an override with a NUL in its name', () => ({ method: 'get', path: '/v1/limiter/rules/r/overrides/o%00' }), 404, 'OVERRIDE_NOT_FOUND'],
  ['PUT an override with a NUL in its name', () => ({ method: 'put', path: '/v1/limiter/rules/r/overrides/o%00', body: { Limit: 1 } }), 404, 'OVERRIDE_NOT_FOUND'],
  ['DELETE an override with a NUL in its name', () => ({ method: 'delete', path: '/v1/limiter/rules/r/overrides/o%00' }), 404, 'OVERRIDE_NOT_FOUND'],
  ['create a rule whose Name holds a NUL', () => ({ method: 'post', path: '/v1/limiter/rules', body: { Name: `r${NUL}`, GroupBy: ['a'], Limit: 1 } }), 400, 'INVALID_INPUT'],
  ['create an override whose Name holds a NUL', () => ({ method: 'post', path: '/v1/limiter/rules/r/overrides', body: { Name: `o${NUL}`, KeyValues: { a: 3 }, Limit: 1 } }), 400, 'INVALID_INPUT'],
  ['enqueue tags and Data holding NULs', () => ({ method: 'post', path: '/v1/queues/q/items', body: { KeyValues: { z: `v${NUL}` }, Data: { [`k${NUL}`]: `v${NUL}` } } }), 201, undefined],
  ['acquire a lock on a tag value holding a NUL', () => ({ method: 'post', path: '/v1/locks', body: { KeyValues: { n: `v${NUL}` }, Wait: 0 } }), 201, undefined],
  ['acquire a lock on the largest tag set', () => ({ method: 'post', path: '/v1/locks', body: { KeyValues: LARGEST, Wait: 0 } }), 201, undefined],
  ['acquire the largest tag set again while it is held', () => ({ method: 'post', path: '/v1/locks', body: { KeyValues: LARGEST, Wait: 0 } }), 409, 'LOCK_HELD'],
  ['list the locks held on the largest tag set', () => ({ method: 'post', path: '/v1/locks/query', body: LARGEST_QUERY }), 200, undefined],
  ['enqueue into the channel of the largest tag set', () => ({ method: 'post', path: '/v1/queues/q/items', body: { KeyValues: LARGEST, Data: 1 } }), 201, undefined],
  ['enqueue into it again, collapsing', () => ({ method: 'post', path: '/v1/queues/q/items', body: { KeyValues: LARGEST, Data: 2 } }), 200, undefined],
  ['enqueue into it with Updateable false, collapsing once more', () => ({ method: 'post', path: '/v1/queues/q/items', body: { KeyValues: LARGEST, Data: 3, Updateable: false } }), 200, undefined],
  ['enqueue into it behind the item that may not be updated', () => ({ method: 'post', path: '/v1/queues/q/items', body: { KeyValues: LARGEST, Data: 4 } }), 201, undefined],
  ['list the channels of the queue', () => ({ method: 'get', path: '/v1/queues/q/channels' }), 200, undefined],
  ['dequeue from the channel of the largest tag set by a query', () => ({ method: 'post', path: '/v1/queues/q/items/dequeue', body: { Query: LARGEST_QUERY, Wait: 0 } }), 200, undefined],
  ['delete the channel of the largest tag set', () => ({ method: 'delete', path: '/v1/queues/q/channels', body: { KeyValues: LARGEST } }), 204, undefined],
];

/**
 * DESIGN §2: the same input gets the same answer on SQLite and PostgreSQL, and nothing a client sends reaches a 500.
 * Every probe runs against an app on SQLite (`:memory:`) and one on PostgreSQL (a fresh schema), seeded alike.
 */
describePostgres('the same bad input gets the same answer on both stores', (databaseUrl) => {
  const schema = freshSchemaName('e2e_same');
  let sqlite: World;
  let postgres: World;
  beforeAll(async () => {
    sqlite = await seed(await createTestApp());
    postgres = await seed(await createTestApp({ WILLOW_STORAGE: 'postgres', DATABASE_URL: databaseUrl, WILLOW_PG_SCHEMA: schema, WILLOW_PG_POOL_SIZE: '4' }));
  });
  afterAll(async () => {
    await sqlite?.sut.close();
    await postgres?.sut.close();
    await dropSchema(databaseUrl, schema);
  });

  it.each(cases)('%s', async (_what, probe, status, code) => {
    const [onSqlite, onPostgres] = [await answer(sqlite, probe), await answer(postgres, probe)];
    expect({ sqlite: onSqlite, postgres: onPostgres }).toEqual({ sqlite: [status, code], postgres: [status, code] });
  });
});
