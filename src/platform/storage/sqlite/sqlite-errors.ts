import { DomainError, StorageFullError, StoreUnavailableError } from '../../../common/errors';

/** Storage faults become the stable codes of DESIGN §8 (507 STORAGE_FULL, 503 STORE_UNAVAILABLE), never a 500. */
export function mapSqliteError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR_WRITE')) {
    return new StorageFullError();
  }
  return new StoreUnavailableError(code);
}
