import { StoreUnavailableError } from '../../src/common/errors';
import { afterCommit, ALREADY_COMMITTED, inTransaction, MAX_PAYLOAD_BYTES, withCommit, type ChannelDef } from '../../src/platform/storage/postgres/pg-channel';
import { inlineParams } from '../../src/platform/storage/postgres/inline-params';
import type { PgFence } from '../../src/platform/storage/postgres/pg-fence';
import { scalarArray, textArray } from '../../src/platform/storage/postgres/pg-arrays';
import { PostgresStorage, prepared } from '../../src/platform/storage/postgres/postgres-storage';
import { describePostgres, dropSchema, freshSchemaName, openPostgresStorage, statementsSentBy } from './support/postgres-fixture';

describePostgres(PostgresStorage.name, (url) => {
  const schemas: string[] = [];
  const opened: PostgresStorage[] = [];
  const open = async (schema: string) => {
    const storage = await openPostgresStorage(url, schema);
    opened.push(storage);
    return storage;
  };
  /** `count` storages on one new schema (dropped after the test). */
  const fresh = async (count = 1) => {
    const schema = freshSchemaName();
    schemas.push(schema);
    return Promise.all(Array.from({ length: count }, () => open(schema)));
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await Promise.all(schemas.splice(0).map((s) => dropSchema(url, s)));
  });

  it('migrates once when three instances start together on an empty schema', async () => {
    const migrations = [
      { id: '001', sql: 'CREATE TABLE probe_runs (n INT)' },
      { id: '002', sql: 'INSERT INTO probe_runs VALUES (1)' },
    ];
    const instances = await fresh(3);
    await Promise.all(instances.map((s) => s.migrate('probe', migrations)));
    const rows = await instances[0].query<{ n: number }>('SELECT n FROM probe_runs');
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('runs a transaction again after a serialization failure instead of answering it', async () => {
    const [storage] = await fresh();
    await storage.query('CREATE TABLE tally (id INT PRIMARY KEY, n INT NOT NULL)');
    await storage.query('INSERT INTO tally VALUES (1, 0)');
    const bump = () =>
      storage.tx(async (sql) => {
        await sql.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
        const { rows } = await sql.query<{ n: number }>('SELECT n FROM tally WHERE id = 1');
        await new Promise((resolve) => setTimeout(resolve, 5));
        await sql.query('UPDATE tally SET n = $1 WHERE id = 1', [rows[0].n + 1]);
      });
    await Promise.all(Array.from({ length: 4 }, bump));
    expect(await storage.query('SELECT n FROM tally')).toEqual([{ n: 4 }]);
  });

  it('reads array literals back as the values written: text of any kind, JSON documents, numbers, booleans, nulls', async () => {
    const [storage] = await fresh();
    const text = ['', 'NULL', 'null', '{a,b}', 'say "hi"', 'back\\slash', 'tab\there', 'line\nbreak', '\u0001', 'lone \ud800', '😀 ünï', ' spaced ', ...[{ a: 'x"y', b: 'l1\nl2', c: 1.5 }, 'q"', null, [1, '\\']].map((v) => JSON.stringify(v))];
    const withNull = [...text, null];
    const [row] = await storage.query<{ t: (string | null)[]; n: string[]; b: boolean[] }>('SELECT $1::text[] AS t, $2::bigint[] AS n, $3::boolean[] AS b', [
      textArray(withNull),
      scalarArray([0, -1, Number.MAX_SAFE_INTEGER, null]),
      scalarArray([true, false, null]),
    ]);
    // Unpaired surrogates cannot be UTF-8: PostgreSQL keeps what the driver would have sent (a replacement character).
    expect(row.t).toEqual(withNull.map((v) => (v === null ? null : Buffer.from(v, 'utf8').toString('utf8'))));
    expect(row.n).toEqual(['0', '-1', String(Number.MAX_SAFE_INTEGER), null]);
    expect(row.b).toEqual([true, false, null]);
  });

  it('prepares a named statement once on its connection and runs it from there with each call its own values', async () => {
    const [storage] = await fresh();
    const text = 'SELECT $1::int + 1 AS n';
    expect(await storage.query(text, [1], 'willow_probe_named')).toEqual([{ n: 2 }]);
    expect(await storage.query(text, [41], 'willow_probe_named')).toEqual([{ n: 42 }]);
    // Calls one after another take the same idle connection, whose session holds the statement it prepared.
    const [held] = await storage.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'willow_probe_named'");
    expect(held.n).toBe(1);
    expect(await storage.query(text, [2])).toEqual([{ n: 3 }]);
  });

  it('prepares a statement named with prepared() on the connection of the transaction that runs it', async () => {
    const [storage] = await fresh();
    const text = 'SELECT $1::int * 2 AS n';
    const seen = await storage.tx(async (sql) => {
      const first = (await sql.query<{ n: number }>(prepared('willow_probe_tx', text, [21]))).rows[0].n;
      const second = (await sql.query<{ n: number }>(prepared('willow_probe_tx', text, [5]))).rows[0].n;
      const held = (await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'willow_probe_tx'")).rows[0].n;
      return { first, second, held };
    });
    expect(seen).toEqual({ first: 42, second: 10, held: 1 });
  });

  it('sends opening statements with the BEGIN, values written as literals reaching the database unchanged', async () => {
    const [storage] = await fresh();
    await storage.query('CREATE TABLE notes (k TEXT PRIMARY KEY, n INT)');
    await storage.query("INSERT INTO notes VALUES ('a', 1)");
    const odd = ["it's", 'back\\slash', '$1 and $2', 'quote " and \\\' both', 'ünïcödé ✓', '', "'; DROP TABLE notes; --"];
    const seen = await storage.tx(
      async (sql, opened) => {
        await sql.query("UPDATE notes SET n = 2 WHERE k = 'a'");
        return opened;
      },
      [inlineParams('SELECT $1::text AS one, $2::text[] AS many, $3::int AS n, $4::text[] AS none, $5::text AS nothing', [odd[0], odd, 7, [], null]),
        'SELECT n FROM notes'],
    );
    expect(seen).toEqual([[{ one: odd[0], many: odd, n: 7, none: [], nothing: null }], [{ n: 1 }]]);
    expect(await storage.query('SELECT k, n FROM notes')).toEqual([{ k: 'a', n: 2 }]);
  });

  it('runs each opening statement on its own snapshot: a later one sees what committed while an earlier one waited', async () => {
    const [storage] = await fresh();
    await storage.query('CREATE TABLE notes (k TEXT PRIMARY KEY)');
    let release!: () => void;
    const holding = storage.tx(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock(4242)');
      await new Promise<void>((resolve) => (release = resolve));
      await sql.query("INSERT INTO notes VALUES ('written while the lock was held')");
    });
    await until(() => release !== undefined);
    const reading = storage.tx(async (_sql, [, rows]) => rows, ['SELECT pg_advisory_xact_lock(4242)', 'SELECT k FROM notes']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await holding;
    expect(await reading).toEqual([{ k: 'written while the lock was held' }]);
  });

  /** A probe channel: text messages, those starting with "own" not heard by their sender. */
  const PROBE: ChannelDef<string> = {
    name: 'probe',
    codec: { encode: (m) => m, decode: (t) => t, shrink: () => 'shrunk' },
    ignoreOwn: (m) => m.startsWith('own'),
  };
  const hear = async (storage: PostgresStorage) => {
    const heard: string[] = [];
    await storage.channel(PROBE).listen({ message: (m) => heard.push(m), resync: () => heard.push('<resync>') });
    return heard;
  };
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 2_000;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('delivers a message sent in a transaction to a listener on another pool, and only within the same schema', async () => {
    const schema = freshSchemaName();
    const other = freshSchemaName();
    schemas.push(schema, other);
    const [a, b, c] = await Promise.all([open(schema), open(schema), open(other)]);
    const [heard, strayed] = await Promise.all([hear(b), hear(c)]);
    await a.tx((sql) => a.channel(PROBE).send(inTransaction(sql), 'hello'));
    await a.tx(async (sql) => {
      await a.channel(PROBE).send(inTransaction(sql), 'rolled back');
      throw new Error('abort');
    }).catch(() => undefined);
    await until(() => heard.length > 0);
    expect(heard).toEqual(['hello']);
    expect(strayed).toEqual([]);
  });

  it('publishes payloads unchanged and in order, whatever they hold (quotes, backslashes, the batch separator)', async () => {
    const [a, b] = await fresh(2);
    const heard = await hear(b);
    const plain = ['{"q":"a","k":["x\\"y"]}', 'back\\slash', 'ünï ✓', 'x'];
    await a.channel(PROBE).send(ALREADY_COMMITTED, ...plain);
    await until(() => heard.length >= plain.length);
    const odd = ['before', 'with \u001e inside', 'after'];
    await a.channel(PROBE).send(ALREADY_COMMITTED, ...odd);
    await until(() => heard.length >= plain.length + odd.length);
    expect(heard).toEqual([...plain, ...odd]);
  });

  it('publishes what one turn of the event loop sent, across its promise callbacks, in one statement', async () => {
    const [a, b] = await fresh(2);
    const heard = await hear(b);
    await a.channel(PROBE).send(ALREADY_COMMITTED, 'warm-up');
    await until(() => heard.length >= 1);
    const { texts } = await statementsSentBy(async () => {
      // A write's announcement, then what its callers send once it resolves (events, say): one turn, several callbacks.
      void a.channel(PROBE).send(ALREADY_COMMITTED, 'change');
      await Promise.resolve();
      void a.channel(PROBE).send(ALREADY_COMMITTED, 'event 1');
      await Promise.resolve().then(() => undefined);
      void a.channel(PROBE).send(ALREADY_COMMITTED, 'event 2');
      await until(() => heard.length >= 4);
    });
    expect(texts.filter((text) => /pg_notify/.test(text))).toHaveLength(1);
    expect(heard).toEqual(['warm-up', 'change', 'event 1', 'event 2']);
  });

  it('sends after commit only what committed, and what was already committed, in order', async () => {
    const [a, b] = await fresh(2);
    const heard = await hear(b);
    await a.tx(async (sql) => {
      await a.channel(PROBE).send(afterCommit(sql), 'rolled back');
      throw new Error('abort');
    }).catch(() => undefined);
    await a.tx((sql) => a.channel(PROBE).send(afterCommit(sql), 'first', 'second'));
    await a.channel(PROBE).send(ALREADY_COMMITTED, 'third');
    await until(() => heard.length >= 3);
    expect(heard).toEqual(['first', 'second', 'third']);
  });

  it('sends statements left for the COMMIT with it, in one round trip; one that fails rolls the whole transaction back', async () => {
    const [a, b] = await fresh(2);
    const heard = await hear(b);
    await a.query('CREATE TABLE closing_probe (n int PRIMARY KEY)');
    const { texts } = await statementsSentBy(() =>
      a.tx(async (sql) => {
        await sql.query('INSERT INTO closing_probe VALUES (1)');
        a.sendWithCommit(sql, inlineParams('INSERT INTO closing_probe VALUES ($1)', [2]));
        await a.channel(PROBE).send(withCommit(sql), 'with the commit');
      }),
    );
    // BEGIN, the INSERT, then the second INSERT, the NOTIFY and the COMMIT together.
    expect(texts).toEqual(['BEGIN', 'INSERT INTO closing_probe VALUES (1)', expect.stringMatching(/VALUES \(2\);\n.*pg_notify.*;\nCOMMIT$/s)]);
    await until(() => heard.length >= 1);
    const failed = a.tx(async (sql) => {
      await sql.query('INSERT INTO closing_probe VALUES (3)');
      await a.channel(PROBE).send(withCommit(sql), 'rolled back');
      a.sendWithCommit(sql, 'INSERT INTO closing_probe VALUES (1)');
    });
    await expect(failed).rejects.toThrow(/duplicate key/);
    expect((await a.query<{ n: number }>('SELECT n FROM closing_probe ORDER BY n')).map((r) => r.n)).toEqual([1, 2]);
    await a.channel(PROBE).send(ALREADY_COMMITTED, 'after');
    await until(() => heard.length >= 2);
    expect(heard).toEqual(['with the commit', 'after']);
    const client = await a.pool.connect();
    try {
      expect(() => a.sendWithCommit(client, 'SELECT 1')).toThrow(/needs a transaction/);
    } finally {
      client.release();
    }
  });

  it('refuses to send after commit outside a transaction opened by tx()', async () => {
    const storage = await open('public');
    const client = await storage.pool.connect();
    try {
      await expect(storage.channel(PROBE).send(afterCommit(client), 'x')).rejects.toThrow(/needs a transaction/);
    } finally {
      client.release();
    }
  });

  it("skips an instance's own messages its channel ignores, and shrinks one too long to send", async () => {
    const [a, b] = await fresh(2);
    const [mine, theirs] = await Promise.all([hear(a), hear(b)]);
    const long = 'x'.repeat(MAX_PAYLOAD_BYTES);
    await a.tx((sql) => a.channel(PROBE).send(inTransaction(sql), 'own change', 'shared change', long));
    await until(() => theirs.length >= 3 && mine.length >= 2);
    expect(theirs).toEqual(['own change', 'shared change', 'shrunk']);
    expect(mine).toEqual(['shared change', 'shrunk']);
  });

  it('answers STORE_UNAVAILABLE when the database cannot be reached', async () => {
    const storage = new PostgresStorage({ url: 'postgres://postgres@127.0.0.1:1/test', schema: 'public', poolSize: 1 });
    opened.push(storage);
    await expect(storage.query('SELECT 1')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(storage.tx(async () => 1)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  describe('fence', () => {
    const made: PgFence[] = [];
    /** Fences named alike on `count` storages of one schema, each holding it. */
    const fences = async (count: number, waitMs?: number) => {
      const all = (await fresh(count)).map((s) => s.fence('probe', waitMs));
      made.push(...all);
      await Promise.all(all.map((f) => f.hold()));
      return all;
    };
    afterEach(async () => {
      await Promise.all(made.splice(0).map((f) => f.close()));
    });

    it('runs alone once every other holder has stepped aside, and lets them hold again only after', async () => {
      const [a, b, c] = await fences(3);
      const seen: string[] = [];
      const asides: Array<Promise<void>> = [];
      const ran = await a.alone(
        async () => {
          asides.push(b.stepAside().then(() => void seen.push('b back')), c.stepAside().then(() => void seen.push('c back')));
        },
        async () => {
          seen.push(`alone: b ${b.holding}, c ${c.holding}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
          seen.push('alone done');
        },
      );
      await Promise.all(asides);
      expect(ran).toBe('ran');
      expect(seen.slice(0, 2)).toEqual(['alone: b false, c false', 'alone done']);
      expect([a.holding, b.holding, c.holding]).toEqual([true, true, true]);
    });

    it('does not wait for a holder whose session ended, and reports that session as ended', async () => {
      const [a, b] = await fences(2);
      const { holders } = await a.sessions([]);
      expect(holders).toHaveLength(2);
      await b.close(); // as a killed instance: its session ends, its hold with it
      expect(await a.sessions(holders)).toMatchObject({ holders: [expect.any(Number)], ended: [expect.any(Number)] });
      let ran = false;
      expect(await a.alone(async () => undefined, async () => void (ran = true))).toBe('ran');
      expect(ran).toBe(true);
    });

    it('lets an instance that stepped aside hold again only once the alone it stepped aside for is done', async () => {
      const [a, b] = await fences(2);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      let aside: Promise<void> | undefined;
      const first = a.alone(async () => void (aside = b.stepAside()), async () => {
        entered();
        await gate;
      });
      await inside;
      // b stepped aside and waits behind the intent: its hold comes back only after a's alone.
      expect(b.holding).toBe(false);
      release();
      expect(await first).toBe('ran');
      await aside;
      expect(b.holding).toBe(true);
    });

    it('lets an instance that starts hold only once an alone under way is done (it may not have heard the announcement)', async () => {
      const storages = await fresh(3);
      const [a, b, c] = storages.map((st) => st.fence('probe', 500));
      made.push(a, b, c);
      await Promise.all([a.hold(), b.hold()]);
      let held = false;
      let starting: Promise<unknown> | undefined;
      let aside: Promise<void> | undefined;
      const seen: boolean[] = [];
      const outcome = await a.alone(
        async () => {
          // c starts after the announcement went out: it never hears it, and must not slip in before a's turn.
          starting = c.hold().then(() => (held = true));
          await new Promise((resolve) => setTimeout(resolve, 150));
          aside = b.stepAside();
        },
        async () => void seen.push(held),
      );
      await Promise.all([aside, starting]);
      expect(outcome).toBe('ran');
      expect(seen).toEqual([false]);
      expect([a.holding, b.holding, c.holding]).toEqual([true, true, true]);
    });

    it('runs nothing when a holder does not step aside within its wait, and lets everyone hold again', async () => {
      const [a, b] = await fences(2, 300);
      let ran = false;
      const started = Date.now();
      expect(await a.alone(async () => undefined, async () => void (ran = true))).toBe('timed-out');
      expect(ran).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect([a.holding, b.holding]).toEqual([true, true]);
      // Told this time: it runs.
      let aside: Promise<void> | undefined;
      expect(await a.alone(async () => void (aside = b.stepAside()), async () => void (ran = true))).toBe('ran');
      await aside;
      expect([ran, a.holding, b.holding]).toEqual([true, true, true]);
    });
  });
});
