import Database from 'better-sqlite3';
import { InvalidInputError, StorageFullError, StoreUnavailableError } from '../../../common/errors';
import { mapSqliteError } from './sqlite-errors';

describe(mapSqliteError.name, () => {
  const sqliteError = (code: string) => Object.assign(new Error(`sqlite says ${code}`), { code });

  it.each(['SQLITE_FULL', 'SQLITE_IOERR_WRITE'])('maps %s (disk full) to STORAGE_FULL', (code) => {
    const mapped = mapSqliteError(sqliteError(code));
    expect(mapped).toBeInstanceOf(StorageFullError);
    expect(mapped).toMatchObject({ code: 'STORAGE_FULL' });
  });

  it.each(['SQLITE_BUSY', 'SQLITE_IOERR_FSYNC', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT'])(
    'maps %s to STORE_UNAVAILABLE and names the code',
    (code) => {
      const mapped = mapSqliteError(sqliteError(code));
      expect(mapped).toBeInstanceOf(StoreUnavailableError);
      expect(mapped).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining(code) });
    },
  );

  it('passes a domain error through unchanged', () => {
    const error = new InvalidInputError('KeyValues', 'is required');
    expect(mapSqliteError(error)).toBe(error);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['an errno error', Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' })],
    ['a numeric code', Object.assign(new Error('x'), { code: 28 })],
    ['a string', 'not an error'],
    ['undefined', undefined],
    ['null', null],
  ])('passes %s through unchanged', (_, error) => {
    expect(mapSqliteError(error)).toBe(error);
  });

  it('maps the error better-sqlite3 raises when the database cannot grow', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t (v BLOB)');
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      const raised = catchError(() => db.prepare('INSERT INTO t VALUES (randomblob(100000))').run());
      expect(raised).toMatchObject({ code: 'SQLITE_FULL' });
      expect(mapSqliteError(raised)).toBeInstanceOf(StorageFullError);
    } finally {
      db.close();
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
