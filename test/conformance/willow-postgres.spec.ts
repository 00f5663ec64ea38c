import { canonicalTags, type Tags } from '../../src/common/tags';
import type { PostgresStorage } from '../../src/platform/storage/postgres/postgres-storage';
import * as SQL from '../../src/willow/store/postgres-willow.sql';
import { PostgresWillowStore } from '../../src/willow/store/postgres-willow.store';
import { textArray } from '../../src/platform/storage/postgres/pg-arrays';
import type { NewItem } from '../../src/willow/willow.port';
import type { WillowChange } from '../../src/willow/willow.store';
import { sleep, waitUntil } from '../support/wait';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage, postgresFixture, statementsSentBy } from './support/postgres-fixture';
import { describeWillowStore } from './willow-store.conformance';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const Q = 'builds';
const main = { repo_name: 'willow', branch_name: 'main' };

function item(tags: Tags, data: unknown, opts: Partial<Omit<NewItem, 'tags' | 'data'>> = {}) {
  const newItem: NewItem = { tags, data, updateable: true, retryAttempts: 0, retryPosition: 'front', timeoutMs: 60_000, ...opts };
  return { key: canonicalTags(tags), item: newItem, data: JSON.stringify(data) };
}

describePostgres('willow postgres', (url) => {
  describeWillowStore('postgres', () => postgresFixture(url, (storage) => PostgresWillowStore.open(storage)), { durable: true });

  describe(`${PostgresWillowStore.name}: two instances on one schema`, () => {
    let schema: string;
    let storages: PostgresStorage[];
    let a: PostgresWillowStore;
    let b: PostgresWillowStore;
    beforeEach(async () => {
      schema = freshSchemaName();
      storages = [await openPostgresStorage(url, schema, 10), await openPostgresStorage(url, schema, 10)];
      [a, b] = await Promise.all(storages.map((s) => PostgresWillowStore.open(s)));
      await a.createQueue(Q, -1, T0);
    });
    afterEach(async () => {
      await Promise.all(storages.map((s) => s.close()));
      await dropSchema(url, schema);
    });
    const both = <T>(n: number, run: (store: PostgresWillowStore, i: number) => Promise<T>) =>
      Promise.all(Array.from({ length: n }, (_, i) => run(i % 2 === 0 ? a : b, i)));

    it('hands each of 10 items to exactly one of 20 concurrent claims', async () => {
      await a.enqueue(Q, Array.from({ length: 10 }, (_, i) => item(main, i, { updateable: false })));
      const got = (await both(20, (store) => store.claimHead(Q, canonicalTags(main), T0))).filter((x) => x !== null);
      expect(got).toHaveLength(10);
      expect(new Set(got.map((x) => x.id)).size).toBe(10);
      expect(got.map((x) => JSON.parse(x.data) as number).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('hands out nothing behind a first item that is not yet due, even while a concurrent claim holds that item', async () => {
      const key = canonicalTags(main);
      const [later] = await a.enqueue(Q, [{ ...item(main, 'later', { updateable: false }), dueAt: T0 + 60_000 }, item(main, 'now', { updateable: false })]);
      // Another claim of the channel (b's, say) has locked the first item and is about to find it not yet due.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = storages[1].tx(async (sql) => {
        await sql.query('SELECT seq FROM willow_items WHERE id = $1 FOR UPDATE', [later.id]);
        locked();
        await released;
      });
      await isLocked;
      try {
        expect(await a.claimHead(Q, key, T0)).toBeNull();
      } finally {
        release();
        await holding;
      }
      expect(await a.claimHead(Q, key, T0)).toBeNull();
      expect(await a.claimHead(Q, key, T0 + 60_000)).toMatchObject({ data: '"later"' });
      expect(await a.claimHead(Q, key, T0 + 60_000)).toMatchObject({ data: '"now"' });
    });

    it('locks only the items a claim takes: a concurrent claim still takes the next item in line', async () => {
      const key = canonicalTags(main);
      await a.enqueue(Q, [item(main, 'y1', { updateable: false }), item(main, 'y2', { updateable: false }), item(main, 'high', { updateable: false, priority: 5 })]);
      // b's claim of one item (the high one) is in flight, its transaction open.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let claimed!: (rows: unknown[]) => void;
      const isClaimed = new Promise<unknown[]>((resolve) => (claimed = resolve));
      const holding = storages[1].tx(async (sql) => {
        claimed((await sql.query(SQL.CLAIM_HEADS, [Q, textArray([key]), T0, '{1}'])).rows);
        await released;
      });
      try {
        expect(await isClaimed).toEqual([expect.objectContaining({ data: '"high"' })]);
        expect(await a.claimHead(Q, key, T0)).toMatchObject({ data: '"y1"' });
      } finally {
        release();
        await holding;
      }
      expect(await a.claimHeads(Q, [key, key], T0)).toEqual([expect.objectContaining({ data: '"y2"' }), null]);
    });

    /** b's collapsing enqueue transaction of the channel `key`, held open once it has read (and locked) the tails. */
    const enqueueInFlight = (key: string) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let read!: (rows: unknown[]) => void;
      const tails = new Promise<unknown[]>((resolve) => (read = resolve));
      const holding = storages[1].tx(async (sql) => {
        await sql.query(SQL.LOCK_FOR_ENQUEUE, [Q, textArray([key])]);
        read((await sql.query(SQL.ENQUEUE_STATE, [Q, textArray([key])])).rows);
        await released;
      });
      const end = async () => {
        release();
        await holding;
      };
      return { tails, end };
    };

    it("does not lock a channel's last item that an enqueue in flight cannot change: a claim still takes it when it is first in line", async () => {
      const key = canonicalTags(main);
      await a.enqueue(Q, [item(main, 'y1', { updateable: false }), item(main, 'high', { updateable: false, priority: 5 })]);
      // b's enqueue of the channel is in flight (the collapsing transaction), its transaction open past reading the tails.
      const enqueue = enqueueInFlight(key);
      try {
        expect(await enqueue.tails).toEqual([expect.objectContaining({ updateable: false, priority: 5 })]);
        expect(await a.claimHead(Q, key, T0)).toMatchObject({ data: '"high"' });
      } finally {
        await enqueue.end();
      }
    });

    it("locks a channel's updateable last item while an enqueue may collapse into it: a claim leaves it", async () => {
      const key = canonicalTags(main);
      await a.enqueue(Q, [item(main, 'tail', { updateable: true })]);
      const enqueue = enqueueInFlight(key);
      try {
        expect(await enqueue.tails).toEqual([expect.objectContaining({ updateable: true })]);
        expect(await a.claimHead(Q, key, T0)).toBeNull();
      } finally {
        await enqueue.end();
      }
      expect(await a.claimHead(Q, key, T0)).toMatchObject({ data: '"tail"' });
    });

    it('answers a batch of enqueues into a full queue QUEUE_FULL at once, and still fits what fits when some room is left', async () => {
      await a.createQueue('full', 3, T0);
      await a.enqueue('full', [item(main, 1, { updateable: false }), item(main, 2, { updateable: false })]);
      const query = jest.spyOn(storages[0], 'query');
      const appendCalls = () => query.mock.calls.filter(([sql]) => sql === SQL.APPEND_ITEMS).length;
      const codes = (results: PromiseSettledResult<unknown>[]) => results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'ok'));
      // One item of room: the halves find the one request that fits.
      const some = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => a.enqueue('full', [item({ n: i }, i, { updateable: false })])));
      expect(codes(some).sort()).toEqual(['QUEUE_FULL', 'QUEUE_FULL', 'QUEUE_FULL', 'ok']);
      // No room: every request of the batch is answered from the one refused call (halving took 2n - 1 = 15).
      query.mockClear();
      const none = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => a.enqueue('full', [item({ m: i }, i, { updateable: false })])));
      expect(codes(none)).toEqual(Array(8).fill('QUEUE_FULL'));
      expect(appendCalls()).toBe(1);
      expect((none[3] as PromiseRejectedResult).reason).toMatchObject({ details: { MaxItems: 3, Items: 3 } });
    });

    it('settles an expired delivery once when both instances expire it together', async () => {
      await a.enqueue(Q, [item(main, 'slow', { timeoutMs: 1_000, retryAttempts: 3 })]);
      const got = (await a.claimHead(Q, canonicalTags(main), T0))!;
      const results = await both(10, (store) => store.expireLease(got.id, 1, T0 + 1_000));
      expect(results.filter((r) => r !== null)).toEqual([{ item: { ...got, lastError: 'lease expired' }, outcome: 'front' }]);
      expect(await b.claimHead(Q, canonicalTags(main), T0 + 2_000)).toMatchObject({ id: got.id, attempt: 2 });
    });

    it('loses no data when a collapse races a claim of the item it collapses into', async () => {
      for (let round = 0; round < 40; round++) {
        const tags = { round };
        await a.enqueue(Q, [item(tags, 'old')]);
        // The claim starts a little later each round, so that both orders happen.
        const claiming = sleep(round % 4).then(() => a.claimHead(Q, canonicalTags(tags), T0));
        const [claimed, [outcome]] = await Promise.all([claiming, b.enqueue(Q, [item(tags, 'new')])]);
        const next = await a.claimHead(Q, canonicalTags(tags), T0);
        if (outcome.collapsed) {
          // The collapse came first: the one item carries the new data.
          expect([claimed?.data, next?.data].filter(Boolean)).toEqual(['"new"']);
        } else {
          // The claim came first: the processing item kept its data and the new one waits behind it.
          expect(claimed).toMatchObject({ data: '"old"' });
          expect(await a.check(Q, claimed!.id, 1)).toMatchObject({ kind: 'ok', item: { data: '"old"' } });
          expect(next).toMatchObject({ id: outcome.id, data: '"new"' });
        }
      }
    });

    it('collapses enqueues racing from both instances into one channel as if sent one by one', async () => {
      // Each round a fresh queue, so both instances first try their enqueue as an append in one call: the call that
      // comes second must see the first one's item (updateable) and leave the enqueue to the collapsing transaction.
      for (let round = 0; round < 30; round++) {
        const queue = `race-${round}`;
        await a.createQueue(queue, 5, T0);
        const outcomes = (await Promise.all([a.enqueue(queue, [item(main, 'a')]), b.enqueue(queue, [item(main, 'b')])])).flat();
        expect(outcomes.map((o) => o.collapsed).sort()).toEqual([false, true]);
        expect(outcomes[0].id).toBe(outcomes[1].id);
        expect(await a.loadChannels(queue)).toEqual([expect.objectContaining({ waiting: 1, processing: 0 })]);
        expect(await b.getQueue(queue)).toMatchObject({ items: 1 });
        const last = outcomes.find((o) => o.collapsed)!;
        expect(await a.claimHead(queue, canonicalTags(main), T0)).toMatchObject({ id: last.id, data: outcomes[0].collapsed ? '"a"' : '"b"' });
      }
    });

    it('sends a queue whose updateable items keep collapsing straight to the enqueue transaction, until one appends', async () => {
      const appendCalls = jest.spyOn(storages[0], 'query');
      const attempts = () => appendCalls.mock.calls.filter(([text]) => text === SQL.APPEND_ITEMS).length;
      await a.enqueue(Q, [item(main, 1)]); // appended in one call
      await a.enqueue(Q, [item(main, 2)]); // the call finds an updateable tail: the transaction collapses
      await a.enqueue(Q, [item(main, 3)]); // straight to the transaction
      await a.enqueue(Q, [item(main, 4, { updateable: false })]); // an item that is not updateable always tries first
      expect(attempts()).toBe(3);
      await a.claimHead(Q, canonicalTags(main), T0);
      await a.enqueue(Q, [item(main, 5)]); // the transaction again; it collapses nothing, so the queue is let go
      await a.enqueue(Q, [item({ c: 1 }, 6)]);
      expect(attempts()).toBe(4);
      expect((await a.loadChannels(Q)).map((c) => c.waiting).sort()).toEqual([1, 1]);
    });

    it('collapses and appends in an enqueue transaction of two round trips, the writes sent with the COMMIT', async () => {
      await a.enqueue(Q, [item(main, 1)]);
      await a.enqueue(Q, [item(main, 2)]); // collapses into the stored item: the queue's next ones go to the transaction
      const { result: outcomes, texts: sent } = await statementsSentBy(() => a.enqueue(Q, [item(main, 3), item({ c: 'new' }, 'n', { updateable: false })]));
      expect(outcomes.map((o) => o.collapsed)).toEqual([true, false]);
      const texts = sent.filter((t) => !/pg_notify/.test(t));
      expect(texts).toHaveLength(2);
      expect(texts[0]).toMatch(/^BEGIN;/);
      expect(texts[1]).toMatch(/^UPDATE willow_items.*;\nINSERT INTO willow_items.*;\nCOMMIT$/s);
      const claimed = [await a.claimHead(Q, canonicalTags(main), T0), await a.claimHead(Q, canonicalTags({ c: 'new' }), T0)];
      expect(claimed.map((c) => c && JSON.parse(c.data))).toEqual([3, 'n']);
    });

    it('lets a queue go once a batch of it collapses only into its own items, not into a stored one', async () => {
      const appendCalls = jest.spyOn(storages[0], 'query');
      const attempts = () => appendCalls.mock.calls.filter(([text]) => text === SQL.APPEND_ITEMS).length;
      await a.enqueue(Q, [item(main, 1)]);
      await a.enqueue(Q, [item(main, 2)]); // collapses into the stored item: the queue is held
      expect(attempts()).toBe(2);
      const [d1, d2] = await a.enqueue(Q, [item({ c: 'd' }, 'd1'), item({ c: 'd' }, 'd2')]); // the transaction at once
      expect([d1.collapsed, d2.collapsed, d2.id]).toEqual([false, true, d1.id]);
      expect(attempts()).toBe(2);
      await a.enqueue(Q, [item({ c: 'e' }, 'e1')]); // let go: the call again
      expect(attempts()).toBe(3);
    });

    it('appends in one call where an updateable item waits but is not last in line, or is processing; collapses where it is last', async () => {
      const [behind, claimed, last] = [{ c: 'behind' }, { c: 'claimed' }, { c: 'last' }];
      // behind: an item handed out, an updateable one after it, then the first retried to the back of the line.
      await a.enqueue(Q, [item(behind, 1, { updateable: false, retryAttempts: 1, retryPosition: 'back' }), item(claimed, 3), item(last, 4)]);
      const first = (await a.claimHead(Q, canonicalTags(behind), T0))!;
      await a.enqueue(Q, [item(behind, 2)]);
      expect(await a.settle(Q, [{ id: first.id, passed: false, attempt: first.attempt }], T0)).toMatchObject([{ outcome: 'back' }]);
      await a.claimHead(Q, canonicalTags(claimed), T0);
      const transactions = jest.spyOn(storages[1], 'tx');
      // b holds no queue on the transaction path: every batch is tried as appends first.
      const appended = await b.enqueue(Q, [item(behind, 5), item(claimed, 6)]);
      expect(appended.map((o) => o.collapsed)).toEqual([false, false]);
      expect(transactions).not.toHaveBeenCalled();
      const [collapsed] = await b.enqueue(Q, [item(last, 7)]);
      expect(collapsed.collapsed).toBe(true);
      expect(transactions).toHaveBeenCalledTimes(1);
      const waiting = Object.fromEntries((await a.loadChannels(Q)).map((c) => [c.key, c.waiting]));
      expect(waiting).toEqual({ [canonicalTags(behind)]: 3, [canonicalTags(claimed)]: 1, [canonicalTags(last)]: 1 });
    });

    it('collapses an append in one call racing the enqueue transaction of the other instance as if sent one by one', async () => {
      // Instance a holds each queue (its updateable items collapsed), so its enqueue goes to the transaction; b, which
      // does not, appends in one call. They take the same channel locks, so one of the two sees the other's item.
      for (let round = 0; round < 30; round++) {
        const queue = `mixed-${round}`;
        await a.createQueue(queue, -1, T0);
        await a.enqueue(queue, [item({ c: 'warm' }, 1)]);
        await a.enqueue(queue, [item({ c: 'warm' }, 2)]);
        const outcomes = (await Promise.all([a.enqueue(queue, [item(main, 'a')]), b.enqueue(queue, [item(main, 'b')])])).flat();
        expect(outcomes.map((o) => o.collapsed).sort()).toEqual([false, true]);
        expect((await a.loadChannels(queue)).find((c) => c.key === canonicalTags(main))).toMatchObject({ waiting: 1 });
      }
    });

    it('stores an item alike whether it is appended in one call or written by the enqueue transaction', async () => {
      const rich = (tags: Tags) => ({
        ...item(tags, { rich: true }, { updateable: false, retryAttempts: 4, retryPosition: 'back', timeoutMs: 7_000, priority: 3, retryDelayMs: 250, retryBackoff: 'exponential' }),
        at: T0 - 5,
        dueAt: T0 + 1_000,
      });
      await a.enqueue(Q, [item({ c: 'tail' }, 'tail')]);
      // Alone: appended in one call. Beside an item that collapses into an updateable tail: the transaction's insert.
      const [[appended], [collapsed, inserted]] = [await a.enqueue(Q, [rich({ c: 1 })]), await a.enqueue(Q, [item({ c: 'tail' }, 'new'), rich({ c: 2 })])];
      expect(collapsed.collapsed).toBe(true);
      expect([appended.collapsed, inserted.collapsed]).toEqual([false, false]);
      const stored = async (tags: Tags) => {
        const { seq: _seq, id: _id, key: _key, tags: _tags, ...rest } = (await a.claimHead(Q, canonicalTags(tags), T0 + 1_000))!;
        return rest;
      };
      const viaCall = await stored({ c: 1 });
      expect(viaCall).toMatchObject({ updateable: false, retryAttempts: 4, retryPosition: 'back', timeoutMs: 7_000, priority: 3, retryDelayMs: 250, retryBackoff: 'exponential', enqueuedAt: T0 - 5, notBefore: T0 + 1_000, data: '{"rich":true}' });
      expect(await stored({ c: 2 })).toEqual(viaCall);
    });

    it('never exceeds MaxItems under concurrent enqueues from both instances', async () => {
      await a.createQueue('ten', 10, T0);
      const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).enqueue('ten', [item({ n: i }, i)])));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(Array(20).fill('QUEUE_FULL'));
      expect(await b.getQueue('ten')).toMatchObject({ items: 10 });
      expect((await a.loadChannels('ten')).reduce((sum, c) => sum + c.waiting, 0)).toBe(10);
    });

    it('counts every item when a bound is set on an unlimited queue while both instances enqueue and ack', async () => {
      const writes = both(40, async (store, i) => {
        const [out] = await store.enqueue(Q, [item({ n: i }, i)]);
        if (i % 3 === 0) await store.settle(Q, [{ id: (await store.claimHead(Q, out.key, T0))!.id, passed: true, attempt: 1 }], T0);
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await b.updateQueue(Q, { maxItems: 1_000 });
      await writes;
      const live = (await a.loadChannels(Q)).reduce((sum, c) => sum + c.waiting + c.processing, 0);
      expect(live).toBe(40 - 14);
      expect(await a.getQueue(Q)).toEqual({ name: Q, maxItems: 1_000, items: live, paused: false });
    });

    it("announces a cancel to the other instance, whose channel reads then show it", async () => {
      const heard: WillowChange[] = [];
      await a.watch((change) => heard.push(change));
      const key = canonicalTags(main);
      const [first] = await b.enqueue(Q, [item(main, 1, { updateable: false }), item(main, 2, { updateable: false })]);
      await b.claimHead(Q, key, T0);
      await waitUntil(async () => heard.length > 0);
      heard.length = 0;
      expect(await b.cancel(Q, first.id, T0)).toMatchObject({ was: 1 });
      await waitUntil(async () => heard.some((h) => JSON.stringify(h) === JSON.stringify({ kind: 'channels', queue: Q, keys: [key] })));
      expect(await a.channelStates(Q, [key])).toEqual([expect.objectContaining({ waiting: 1, processing: 0 })]);
    });

    it("reports to a watcher the other instance's changes, and of its own only queue deletions", async () => {
      const heard: WillowChange[] = [];
      await a.watch((change) => heard.push(change));
      const key = canonicalTags(main);
      const hears = (change: WillowChange) => waitUntil(async () => heard.some((h) => JSON.stringify(h) === JSON.stringify(change)));
      await b.enqueue(Q, [item(main, 1, { updateable: false }), item(main, 2, { updateable: false })]);
      await hears({ kind: 'channels', queue: Q, keys: [key] });
      heard.length = 0;
      // Its own channel changes are applied by its service as it makes them: hearing them again would read twice.
      await a.claimHead(Q, key, T0);
      const held = (await b.claimHead(Q, key, T0))!;
      // A claim adds nothing to any line: announced as channels only taken from.
      await hears({ kind: 'channels', queue: Q, keys: [key], taken: true });
      expect(heard).toEqual([{ kind: 'channels', queue: Q, keys: [key], taken: true }]);
      // An ack changes only processing items: announced as settled (every waiting line, each head, as it was).
      heard.length = 0;
      expect(await b.settle(Q, [{ id: held.id, passed: true, attempt: held.attempt }], T0)).toMatchObject([{ outcome: 'acked' }]);
      await hears({ kind: 'channels', queue: Q, keys: [key], taken: true, settled: true });
      expect(heard).toEqual([{ kind: 'channels', queue: Q, keys: [key], taken: true, settled: true }]);
      // A failed ack judged in the settlement transaction: a dead letter is settled too, a retry put back in line is
      // announced as a change that may add.
      const [dead, retried] = await b.enqueue(Q, [item(main, 3, { updateable: false }), item(main, 4, { updateable: false, retryAttempts: 1, retryPosition: 'back' })]);
      await hears({ kind: 'channels', queue: Q, keys: [key] });
      const [firstOut, secondOut] = await b.claimHeads(Q, [key, key], T0);
      expect([firstOut?.id, secondOut?.id]).toEqual([dead.id, retried.id]);
      await hears({ kind: 'channels', queue: Q, keys: [key], taken: true });
      heard.length = 0;
      expect(await b.settle(Q, [{ id: dead.id, passed: false, attempt: firstOut!.attempt }], T0)).toMatchObject([{ outcome: 'dead' }]);
      await hears({ kind: 'channels', queue: Q, keys: [key], taken: true, settled: true });
      expect(heard).toEqual([{ kind: 'channels', queue: Q, keys: [key], taken: true, settled: true }]);
      heard.length = 0;
      expect(await b.settle(Q, [{ id: retried.id, passed: false, attempt: secondOut!.attempt }], T0)).toMatchObject([{ outcome: 'back' }]);
      await hears({ kind: 'channels', queue: Q, keys: [key] });
      expect(heard).toEqual([{ kind: 'channels', queue: Q, keys: [key] }]);
      // More channels than one notification holds: several channel changes that name them all, never the whole
      // queue (which would make every instance read every channel again).
      heard.length = 0;
      const many = Array.from({ length: 200 }, (_, i) => item({ n: i, pad: 'x'.repeat(40) }, i));
      await b.enqueue(Q, many);
      const named = () => new Set(heard.flatMap((h) => (h.kind === 'channels' ? h.keys : [])));
      await waitUntil(async () => named().size === 200);
      expect([...named()].sort()).toEqual(many.map((m) => m.key).sort());
      expect(heard.length).toBeGreaterThan(1);
      expect(heard.every((h) => h.kind === 'channels')).toBe(true);
      await a.deleteQueue(Q);
      await hears({ kind: 'queue_deleted', queue: Q });
    });

    it('claims and reads heads with one prepared call to a function whose statement is planned generically, once per connection', async () => {
      const key = canonicalTags(main);
      await a.enqueue(Q, Array.from({ length: 8 }, (_, i) => item(main, i, { updateable: false })));
      // One after another, the claims take the same idle connection (as PostgresStorage.query's own test shows).
      for (let i = 0; i < 8; i++) expect(JSON.parse((await a.claimHead(Q, key, T0))!.data)).toBe(i);
      const [held] = await storages[0].query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'willow_claim_heads'");
      expect(held.n).toBe(1);
      const functions = await storages[0].query<{ name: string; config: string[] }>(
        "SELECT proname AS name, proconfig AS config FROM pg_proc WHERE proname IN ('willow_claim_heads', 'willow_channel_heads') AND pronamespace = current_schema()::regnamespace ORDER BY 1",
      );
      expect(functions).toEqual(['willow_channel_heads', 'willow_claim_heads'].map((name) => ({ name, config: ['plan_cache_mode=force_generic_plan'] })));
      expect(await a.claimHead(Q, key, T0)).toBeNull();
    });

    it('claims for requests made while a claim of the queue is written together, in one call, each request answered in turn', async () => {
      const channels = Array.from({ length: 6 }, (_, i) => ({ ch: i }));
      await a.enqueue(Q, channels.flatMap((tags) => [item(tags, `${tags.ch}a`, { updateable: false }), item(tags, `${tags.ch}b`, { updateable: false })]));
      const query = jest.spyOn(storages[0], 'query');
      const claimCalls = () => query.mock.calls.filter(([text]) => text === SQL.CLAIM_HEADS).length;
      // Twelve dequeues made in one turn, each naming one channel: one call, the earlier request first in each channel.
      const got = await Promise.all(Array.from({ length: 12 }, (_, i) => a.claimHead(Q, canonicalTags(channels[i % 6]), T0 + i)));
      expect(got.map((g) => g && JSON.parse(g.data))).toEqual([...channels.map((c) => `${c.ch}a`), ...channels.map((c) => `${c.ch}b`)]);
      expect(claimCalls()).toBe(1);
      // Made while that call is written, the next ones wait for it and go together in a second.
      await a.enqueue(Q, channels.map((tags) => item(tags, `${tags.ch}c`, { updateable: false })));
      const first = a.claimHead(Q, canonicalTags(channels[0]), T0);
      await Promise.resolve();
      const rest = await Promise.all(channels.map((tags) => a.claimHead(Q, canonicalTags(tags), T0)));
      expect([await first, ...rest].map((g) => g && JSON.parse(g.data))).toEqual(['0c', null, ...channels.slice(1).map((c) => `${c.ch}c`)]);
      expect(claimCalls()).toBe(3);
      // Claimed at the latest time of their batch, so no lease starts before the dequeue that asked for it.
      got.forEach((g, i) => expect(g!.expiresAt).toBeGreaterThanOrEqual(T0 + i + 60_000));
      expect(await Promise.all(channels.map((tags) => a.claimHead(Q, canonicalTags(tags), T0)))).toEqual(channels.map(() => null));
    });

    it("reads channels' heads by a probe per channel, never by a pass over the queue's items", async () => {
      const channel = (n: number) => ({ ch: `c${n}` });
      for (let batch = 0; batch < 20; batch++) {
        await a.enqueue(Q, Array.from({ length: 1_000 }, (_, i) => item(channel(i % 100), i, { updateable: false })));
      }
      await storages[0].query('ANALYZE willow_items');
      const keys = Array.from({ length: 10 }, (_, i) => canonicalTags(channel(i * 7)));
      // The buffers a function call touched, its statement's included (a pass over the items reads every page).
      const buffers = async () => {
        const [{ 'QUERY PLAN': [explained] }] = await storages[0].query<{ 'QUERY PLAN': Array<{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }> }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${SQL.CHANNEL_HEADS}`,
          [Q, keys, 0],
        );
        return explained.Plan['Shared Hit Blocks'] + explained.Plan['Shared Read Blocks'];
      };
      const [{ pages }] = await storages[0].query<{ pages: number }>("SELECT relpages AS pages FROM pg_class WHERE oid = 'willow_items'::regclass");
      expect(pages).toBeGreaterThan(300);
      // The first call on a connection plans the function's statement, whose catalogue reads count too (about 280).
      await buffers();
      for (let i = 0; i < 5; i++) expect(await buffers()).toBeLessThan(pages / 3);
      const heads = await a.channelHeads(Q, keys, 0);
      expect([...heads.values()].map((h) => h.head.seq)).toHaveLength(10);
    });

    it('settles acks that all passed in one call, no transaction, and judges there only those it could not settle', async () => {
      const bounded = 'bounded';
      await a.createQueue(bounded, 10, T0);
      const channel = (n: number) => ({ ch: `c${n}` });
      await a.enqueue(bounded, Array.from({ length: 5 }, (_, i) => item(channel(i), i, { updateable: false, timeoutMs: 1_000 })));
      const got = (await a.claimHeads(bounded, [0, 1, 2, 3, 4].map((i) => canonicalTags(channel(i))), T0)).map((x) => x!);
      expect((await a.getQueue(bounded))?.items).toBe(5);
      const txs = jest.spyOn(storages[0], 'tx');
      const first = await a.settle(bounded, [{ id: got[0].id, passed: true, attempt: got[0].attempt }, { id: got[1].id, passed: true, attempt: null }], T0 + 999);
      expect(first).toEqual([
        { item: got[0], outcome: 'acked' },
        { item: got[1], outcome: 'acked' },
      ]);
      expect(txs).not.toHaveBeenCalled();
      expect((await a.getQueue(bounded))?.items).toBe(3);
      // Not current (a later attempt, an unknown id, an item already acked), or its lease ran out: judged as before.
      const second = await a.settle(
        bounded,
        [
          { id: got[2].id, passed: true, attempt: got[2].attempt + 1 },
          { id: got[3].id, passed: true, attempt: got[3].attempt },
          { id: 'NOSUCHITEM', passed: true, attempt: 1 },
          { id: got[0].id, passed: true, attempt: got[0].attempt },
        ],
        T0 + 999,
      );
      expect(second).toEqual([{ kind: 'lease_lost', current: got[2].attempt }, { item: got[3], outcome: 'acked' }, { kind: 'not_found' }, { kind: 'not_found' }]);
      expect(txs).toHaveBeenCalledTimes(1);
      expect(await a.settle(bounded, [{ id: got[4].id, passed: true, attempt: got[4].attempt }], T0 + 1_000)).toEqual([{ kind: 'lease_lost', current: null }]);
      expect(await a.settle(bounded, [{ id: got[2].id, passed: true, attempt: got[2].attempt }], T0 + 999)).toEqual([{ item: got[2], outcome: 'acked' }]);
      expect((await a.getQueue(bounded))?.items).toBe(1);
      // A failed ack, or one item acked twice in a batch, goes to the transaction as a whole.
      txs.mockClear();
      await a.enqueue(bounded, [item(channel(9), 'x', { updateable: false })]);
      const [x] = await a.claimHeads(bounded, [canonicalTags(channel(9))], T0);
      expect(await a.settle(bounded, [{ id: x!.id, passed: true, attempt: x!.attempt }, { id: x!.id, passed: true, attempt: x!.attempt }], T0)).toEqual([
        { item: x, outcome: 'acked' },
        { kind: 'not_found' },
      ]);
      expect(txs).toHaveBeenCalledTimes(1);
    });

    it("refreshes the items table's statistics once as two instances fill it, not once per instance", async () => {
      const analyzes = async () => {
        const [row] = await storages[0].query<{ n: number; since: number | null }>(
          `SELECT analyze_count::int AS n, (extract(epoch FROM clock_timestamp() - last_analyze) * 1000)::float8 AS since
             FROM pg_stat_user_tables WHERE relid = 'willow_items'::regclass`,
        );
        return row;
      };
      const fill = (store: PostgresWillowStore, from: number) => store.enqueue(Q, Array.from({ length: 1_200 }, (_, i) => item({ ch: `c${(from + i) % 50}` }, i, { updateable: false })));
      await fill(a, 0);
      await waitUntil(async () => (await analyzes()).n === 1);
      // Due by b's own count (1,200 rows it added), not by the table's: a analyzed it a moment ago.
      await fill(b, 1_200);
      await sleep(300);
      const after = await analyzes();
      expect(after.since).toBeLessThan(1_000); // (else the second refresh would have been due after all)
      expect(after.n).toBe(1);
      // a's own ANALYZE does not hold a's next one back.
      await sleep(1_000);
      await fill(a, 2_400);
      await waitUntil(async () => (await analyzes()).n === 2);
    });

    it('announces a pause or a resume as a change of the whole queue, heard by the other instance and by its own', async () => {
      const heardByA: WillowChange[] = [];
      const heardByB: WillowChange[] = [];
      await a.watch((change) => heardByA.push(change));
      await b.watch((change) => heardByB.push(change));
      const whole = JSON.stringify({ kind: 'queue', queue: Q });
      const count = (heard: WillowChange[]) => heard.filter((h) => JSON.stringify(h) === whole).length;
      await b.updateQueue(Q, { paused: true });
      await waitUntil(async () => count(heardByA) === 1 && count(heardByB) === 1);
      expect(await a.pausedQueues(Q)).toEqual([Q]);
      await b.updateQueue(Q, { paused: false });
      await waitUntil(async () => count(heardByA) === 2);
      expect(await a.pausedQueues()).toEqual([]);
    });
  });
});
