import { EmbeddedStorage } from '../../platform/storage/sqlite/embedded-storage';
import { WILLOW_MIGRATIONS } from './sqlite-willow.schema';
import { ITEM_COLUMNS, prepareWillowStatements } from './sqlite-willow.statements';

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
