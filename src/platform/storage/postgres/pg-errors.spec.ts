import { StorageFullError, StoreUnavailableError } from '../../../common/errors';
import { isRetryable, mapPgError } from './pg-errors';

function pgError(code: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code });
}

describe(mapPgError.name, () => {
  it.each(['08006', '08001', '57P01', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET'])('maps %s to STORE_UNAVAILABLE', (code) => {
    expect(mapPgError(pgError(code))).toBeInstanceOf(StoreUnavailableError);
  });

  it('maps pg client messages for a lost server to STORE_UNAVAILABLE', () => {
    expect(mapPgError(new Error('Connection terminated unexpectedly'))).toBeInstanceOf(StoreUnavailableError);
    expect(mapPgError(new Error('timeout exceeded when trying to connect'))).toBeInstanceOf(StoreUnavailableError);
  });

  it('maps disk_full to STORAGE_FULL', () => {
    expect(mapPgError(pgError('53100'))).toBeInstanceOf(StorageFullError);
  });

  it.each(['22021', '22P05', '22001', '54000'])('maps the refused value %s to INVALID_INPUT without the database text', (code) => {
    const mapped = mapPgError(pgError(code, 'invalid byte sequence for encoding "UTF8": 0x00 in relation secret_table'));
    expect(mapped).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(code) });
    expect((mapped as Error).message).not.toContain('secret_table');
  });

  it.each(['22003', '22P02', '22012'])('leaves the data exception %s of our own SQL as it is (a server fault, logged)', (code) => {
    const error = pgError(code);
    expect(mapPgError(error)).toBe(error);
  });

  it('leaves SQL mistakes and constraint errors as they are (a bug, not an outage)', () => {
    const syntax = pgError('42601');
    expect(mapPgError(syntax)).toBe(syntax);
    const unique = pgError('23505');
    expect(mapPgError(unique)).toBe(unique);
  });
});

describe(isRetryable.name, () => {
  it('retries serialization failures and deadlocks only', () => {
    expect(isRetryable(pgError('40001'))).toBe(true);
    expect(isRetryable(pgError('40P01'))).toBe(true);
    expect(isRetryable(pgError('23505'))).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
});
