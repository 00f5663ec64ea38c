import { DomainError, errorCode, InvalidInputError, StorageFullError, StoreUnavailableError } from '../../../common/errors';

/** SQLSTATEs a transaction is simply run again for: it lost a serialization or deadlock race and changed nothing. */
const RETRYABLE = new Set(['40001', '40P01']);

/** Node socket errors and pg's own messages that mean the server cannot be reached. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNREACHABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i;

export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has(errorCode(error) ?? '');
}

/**
 * SQLSTATEs of text the database refuses to hold, which only what a client sent can cause: a NUL byte (22021),
 * untranslatable text (22P05), a string longer than its column (22001), a value too large for an index (54000).
 * They are that client's fault (400), whatever statement met them first. Other data exceptions (22003 a number out
 * of range, 22P02 a bad cast, 22012 division by zero) come from our own SQL or data growth: they stay server errors,
 * logged and answered 500 without their text.
 */
const REFUSED_VALUE = new Set(['22021', '22P05', '22001', '54000']);

function isRefusedValue(code: string): boolean {
  return REFUSED_VALUE.has(code);
}

/**
 * Storage faults become the stable codes of DESIGN §8, never a 500: a full disk is 507 STORAGE_FULL; a database that
 * cannot be reached, is shutting down or refuses connections is 503 STORE_UNAVAILABLE; a value it refuses is 400
 * INVALID_INPUT (its message names the SQLSTATE, never the database's text). Anything else (a bug in our SQL) is
 * returned unchanged, and answered 500 without its text.
 */
export function mapPgError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const code = errorCode(error) ?? null;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '53100') return new StorageFullError();
  if (code !== null && isRefusedValue(code)) {
    return new InvalidInputError('', `the request holds a value the store cannot hold (SQLSTATE ${code}); check its text and numbers`);
  }
  if (code !== null && (code.startsWith('08') || code.startsWith('57P') || code === '53300' || code === '53200' || code === '3D000')) {
    return new StoreUnavailableError(`PostgreSQL ${code}`);
  }
  if ((code !== null && UNREACHABLE.has(code)) || UNREACHABLE_MESSAGE.test(message)) {
    return new StoreUnavailableError(`PostgreSQL unreachable: ${message}`);
  }
  return error;
}
