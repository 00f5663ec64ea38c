import { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import { WILLOW_MIGRATIONS } from './sqlite-willow.schema';
import { ITEM_COLUMNS, prepareWillowStatements } from './sqlite-willow.statements';
import { SqliteWillowStore } from './sqlite-willow.store';
import { canonicalTags } from '../../common/tags';

/** The item statements read rows as arrays by position: every column, each in its own field. */
describe('SQLite item statements', () => {
  let storage: EmbeddedStorage;
  beforeEach(() => {
    storage = new EmbeddedStorage({ dataDir: ':memory:', sync: 'normal' });
    storage.migrate('willow', WILLOW_MIGRATIONS);
  });
  afterEach(() => storage.close());

  it('select every column of willow_items (a new column must be added to ITEM_COLUMNS and ItemRow)', () => {
    const columns = storage.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('willow_items') as string[];
    expect([...ITEM_COLUMNS].sort()).toEqual([...columns].sort());
  });

  it('answer each column under its own name, as SELECT * does', () => {
    // A distinct value in every column, so a field read from the wrong position shows.
    const values = Object.fromEntries(ITEM_COLUMNS.map((column, i) => [column, ['id', 'queue', 'channel', 'data', 'dead_reason', 'last_error'].includes(column) ? `${column}-${i}` : 1_000 + i]));
    storage.db.prepare(`INSERT INTO willow_items (${ITEM_COLUMNS.join(', ')}) VALUES (${ITEM_COLUMNS.map((c) => `@${c}`).join(', ')})`).run(values);
    const sql = prepareWillowStatements(storage.db);
    const selected = storage.db.prepare('SELECT * FROM willow_items').get();
    expect(sql.byId.get(values.id as string)).toEqual(selected);
    expect(sql.byId.get(values.id as string)).toEqual(values);
    expect(sql.processingOfQueue.all(values.queue as string)).toEqual([]); // state 1004: neither waiting nor processing
    expect(sql.byId.get('no-such-id')).toBeUndefined();
  });
});

describe('SQLite Willow schema and plans', () => {
  let storage: EmbeddedStorage;
  beforeEach(() => {
    storage = new EmbeddedStorage({ dataDir: ':memory:', sync: 'normal' });
  });
  afterEach(() => storage.close());

  /** Each statement's SQL text, as prepareWillowStatements prepares it. */
  function statementTexts(): string[] {
    const db = storage.db;
    const prepare = db.prepare.bind(db);
    const texts: string[] = [];
    jest.spyOn(db, 'prepare').mockImplementation(((sql: string) => {
      texts.push(sql);
      return prepare(sql);
    }) as typeof db.prepare);
    prepareWillowStatements(db);
    jest.restoreAllMocks();
    return texts;
  }

  /** The query plan of `sql`, its parameters bound to placeholder values. */
  function plan(sql: string): string[] {
    const explain = storage.db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]);
    const rows = (named.length > 0
      ? explain.all(Object.fromEntries(named.map((name) => [name, name === 'queue' || name === 'channel' ? name : 1])))
      : explain.all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1))) as Array<{ detail: string }>;
    return rows.map((r) => r.detail);
  }

  it('reads no statement by a scan of the whole items table (each state is indexed on its own)', () => {
    storage.migrate('willow', WILLOW_MIGRATIONS);
    const scans = statementTexts().flatMap((sql) => plan(sql).filter((step) => /^SCAN willow_items$/.test(step)).map(() => sql));
    expect(scans).toEqual([]);
  });

  it("keeps only waiting items in a channel's line, so an ack touches no page of it", () => {
    storage.migrate('willow', WILLOW_MIGRATIONS);
    const line = storage.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'willow_items' AND sql LIKE '%(queue, channel, seq)%'").pluck().all();
    expect(line).toEqual([expect.stringMatching(/WHERE state = 0$/)]);
  });

  it('upgrades a database whose line held processing items too (migration 007) and serves it as before', () => {
    storage.migrate('willow', WILLOW_MIGRATIONS.filter((m) => m.id < '007'));
    const [a, b] = [canonicalTags({ ch: 'a' }), canonicalTags({ ch: 'b' })];
    const insert = storage.db.prepare(`INSERT INTO willow_items (seq, id, queue, channel, state, data, updateable, retry_attempts,
      retry_front, timeout_ms, attempt, expires_at) VALUES (?, ?, 'q', ?, ?, '1', 0, 0, 1, 60000, ?, ?)`);
    storage.db.prepare("INSERT INTO willow_queues (name, max_items, items, created_at) VALUES ('q', -1, 4, 0)").run();
    insert.run(1, 'a1', a, 1, 1, 5_000); // processing
    insert.run(2, 'a2', a, 0, 0, null);
    insert.run(3, 'a3', a, 0, 0, null);
    insert.run(4, 'b1', b, 0, 0, null);
    const store = new SqliteWillowStore(storage);
    expect(storage.db.prepare("SELECT name FROM sqlite_master WHERE name = 'willow_items_line'").get()).toBeUndefined();
    expect(store.channelHead('q', a)).toEqual({ seq: 2, priority: 0, dueAt: null });
    return (async () => {
      expect(await store.channelStates('q', [a, b])).toEqual([
        { queue: 'q', key: a, waiting: 2, processing: 1, headSeq: 2, headPriority: 0, headDueAt: null },
        { queue: 'q', key: b, waiting: 1, processing: 0, headSeq: 4, headPriority: 0, headDueAt: null },
      ]);
      expect((await store.deleteChannel('q', a)).map((item) => item.id)).toEqual(['a1']);
      expect(await store.channelStates('q', [a])).toEqual([]);
      expect((await store.deleteQueue('q')).map((item) => item.id)).toEqual([]);
      expect(storage.db.prepare('SELECT count(*) FROM willow_items').pluck().get()).toBe(0);
    })();
  });

  it("looks a queue's waiting updateable items up on their own index, and upgrades a database holding some (migration 008)", () => {
    storage.migrate('willow', WILLOW_MIGRATIONS.filter((m) => m.id < '008'));
    const [a, b] = [canonicalTags({ ch: 'a' }), canonicalTags({ ch: 'b' })];
    const insert = storage.db.prepare(`INSERT INTO willow_items (seq, id, queue, channel, state, data, updateable, retry_attempts,
      retry_front, timeout_ms, attempt) VALUES (?, ?, 'q', ?, 0, '1', ?, 0, 1, 60000, 0)`);
    storage.db.prepare("INSERT INTO willow_queues (name, max_items, items, created_at) VALUES ('q', -1, 2, 0)").run();
    insert.run(1, 'a1', a, 1); // updateable, waiting
    insert.run(2, 'b1', b, 0);
    storage.migrate('willow', WILLOW_MIGRATIONS);
    const sql = prepareWillowStatements(storage.db);
    expect(plan(sql.hasUpdateableWaiting.source)).toEqual([
      expect.stringMatching(/^SEARCH willow_items USING COVERING INDEX willow_items_updateable \(queue=\?\)$/),
    ]);
    expect(sql.hasUpdateableWaiting.get('q')).toEqual({ one: 1 });
    const store = new SqliteWillowStore(storage);
    const entry = (key: string, data: string) => ({ key, item: { tags: {}, data, updateable: false, retryAttempts: 0, retryPosition: 'front' as const, timeoutMs: 60_000 }, data });
    return (async () => {
      // The item that waited updateable before the upgrade still takes the new data; the other channel appends.
      const [collapsed, appended] = await store.enqueue('q', [entry(a, '"new a"'), entry(b, '"new b"')]);
      expect(collapsed).toMatchObject({ id: 'a1', collapsed: true });
      expect(appended).toMatchObject({ collapsed: false });
      // Collapsed with Updateable false: nothing waits updateable any more, and the next enqueue reads no channel.
      expect(sql.hasUpdateableWaiting.get('q')).toBeUndefined();
      const lastWaiting = jest.spyOn((store as unknown as { sql: ReturnType<typeof prepareWillowStatements> }).sql.lastWaiting, 'get');
      const [next] = await store.enqueue('q', [entry(a, '"newer a"')]);
      expect(next).toMatchObject({ collapsed: false });
      expect(lastWaiting).not.toHaveBeenCalled();
      expect(storage.db.prepare("SELECT id, data FROM willow_items WHERE channel = ? ORDER BY seq").all(a)).toEqual([
        { id: 'a1', data: '"new a"' },
        { id: next.id, data: '"newer a"' },
      ]);
    })();
  });
});
