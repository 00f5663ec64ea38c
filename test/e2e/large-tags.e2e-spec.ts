import { randomBytes } from 'node:crypto';
import type { TestApp } from '../support/test-app';
import { storeCases } from '../support/stores';
import { waitUntil } from '../support/wait';

jest.setTimeout(60_000);

/**
 * The largest tag sets DESIGN.md §3 allows (64 keys, values of 1000 characters that do not compress) name locks and
 * channels like any other: their canonical encoding (~70 KB) is larger than a PostgreSQL index entry may be, so the
 * store must not index the text itself. Every step answers the same on every store.
 */
function largeTags(): Record<string, string> {
  return Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${String(i).padStart(2, '0')}`, randomBytes(500).toString('hex')]));
}

describe.each(storeCases())('The largest tag sets ($name store)', (store) => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await store.start();
  });
  afterAll(() => sut.close());

  const post = (path: string, body: object) => sut.http().post(path).send(body);

  it('name a lock that is granted, held, renewed, waited for and released', async () => {
    const tags = largeTags();
    const first = await post('/v1/locks', { KeyValues: tags, Wait: 0 });
    expect(first.status).toBe(201);
    expect(first.body.KeyValues).toEqual(tags);
    const again = await post('/v1/locks', { KeyValues: tags, Wait: 0 });
    expect([again.status, again.body.Code]).toEqual([409, 'LOCK_HELD']);
    const beat = await post(`/v1/locks/${first.body.LockID}/heartbeat`, { SessionID: first.body.SessionID });
    expect(beat.status).toBe(200);
    const held = await post('/v1/locks/query', { Where: { k00: tags.k00 } });
    expect([held.status, held.body.map((l: { LockID: string }) => l.LockID)]).toEqual([200, [first.body.LockID]]);

    const waiting = post('/v1/locks', { KeyValues: tags, Wait: '30s' }).then((res) => res);
    await waitUntil(async () => (await post('/v1/locks/query', {})).body[0]?.Waiters === 1);
    const released = await sut.http().delete(`/v1/locks/${first.body.LockID}`).send({ SessionID: first.body.SessionID });
    expect(released.status).toBe(204);
    const next = await waiting;
    expect([next.status, next.body.LockID]).toEqual([201, first.body.LockID]);
    expect(next.body.FencingToken).toBeGreaterThan(first.body.FencingToken);
    expect((await sut.http().delete(`/v1/locks/${next.body.LockID}`).send({ SessionID: next.body.SessionID })).status).toBe(204);
  });

  it('name a channel that collapses, keeps its line, is dequeued by query, acked and listed', async () => {
    const tags = largeTags();
    expect((await post('/v1/queues', { Name: 'big' })).status).toBe(201);
    const first = await post('/v1/queues/big/items', { KeyValues: tags, Data: 1 });
    expect(first.status).toBe(201);
    const collapsed = await post('/v1/queues/big/items', { KeyValues: tags, Data: 2 });
    expect([collapsed.status, collapsed.body]).toEqual([200, { ID: first.body.ID, Collapsed: true }]);
    // An updateable tail takes the data of an Updateable false item, and is then kept as it is.
    const fixed = await post('/v1/queues/big/items', { KeyValues: tags, Data: 3, Updateable: false });
    expect([fixed.status, fixed.body]).toEqual([200, { ID: first.body.ID, Collapsed: true }]);
    const appended = await post('/v1/queues/big/items/batch', { Items: [{ KeyValues: tags, Data: 4 }] });
    expect([appended.status, appended.body.Results[0].Collapsed]).toEqual([200, false]);

    const channels = await sut.http().get('/v1/queues/big/channels');
    expect([channels.status, channels.body.length, channels.body[0]?.Waiting]).toEqual([200, 1, 2]);
    expect(channels.body[0].KeyValues).toEqual(tags);

    const query = { Where: { k07: tags.k07, k63: tags.k63 } };
    const got = await post('/v1/queues/big/items/dequeue', { Query: query, Wait: 0 });
    expect([got.status, got.body.ID, got.body.Data]).toEqual([200, first.body.ID, 3]);
    expect(got.body.KeyValues).toEqual(tags);
    const acked = await post(`/v1/queues/big/items/${got.body.ID}/ack`, { Passed: true, Attempt: got.body.Attempt });
    expect(acked.status).toBe(200);
    const next = await post('/v1/queues/big/items/dequeue', { Query: query, Wait: 0 });
    expect([next.status, next.body.ID, next.body.Data]).toEqual([200, appended.body.Results[0].ID, 4]);
    const failed = await post(`/v1/queues/big/items/${next.body.ID}/ack`, { Passed: false, Attempt: next.body.Attempt });
    expect(failed.status).toBe(200);
    const dead = await sut.http().get('/v1/queues/big/dead-letters');
    expect([dead.status, dead.body.map((d: { ID: string }) => d.ID)]).toEqual([200, [next.body.ID]]);
    expect((await post(`/v1/queues/big/dead-letters/${next.body.ID}/requeue`, {})).status).toBe(200);

    // A listing reads this instance's own writes on every store (PostgreSQL re-reads the channel before answering).
    const listed = await post('/v1/queues/big/channels/query', query);
    expect([listed.status, listed.body.length, listed.body[0]?.Waiting]).toEqual([200, 1, 1]);
    expect((await sut.http().delete('/v1/queues/big/channels').send({ KeyValues: tags })).status).toBe(204);
    expect((await sut.http().get('/v1/queues/big/channels')).body).toEqual([]);
  });
});
