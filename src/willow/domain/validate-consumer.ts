import { parseDuration } from '../../common/duration';
import { optional, parseBatch, parseBoolean, parseToken, readFields } from '../../common/fields';
import { InvalidInputError } from '../../common/errors';
import { describeJsonType, fieldPath, hasLoneSurrogate, parseSafeInt } from '../../common/names';
import { MATCH_ALL, parseQuery } from '../../common/query';
import type { AckCommand, DequeueCommand } from '../willow.port';
import { BATCH_MAX, DEQUEUE_COUNT_MAX, DEQUEUE_WAIT_DEFAULT_MS, WAIT_BOUNDS } from './validate';

/** The largest item ID a client may send back; longer ones are no ID Willow ever handed out. */
export const ITEM_ID_MAX_LENGTH = 256;
/** The largest failure reason (`Error` of a failed ack), in UTF-8 bytes. */
export const ACK_ERROR_MAX_BYTES = 4_096;

type Take = Omit<DequeueCommand, 'queue'>;

/** A dequeue: which channels (`Query`, any by default) and how long to wait (30s by default); one item. */
export function parseDequeue(raw: unknown, path: string): Take {
  return take(readFields(raw, path, ['Query', 'Wait']), path, 1);
}

/** A dequeue of up to `Count` (1-100) items. */
export function parseDequeueBatch(raw: unknown, path: string): Take {
  const f = readFields(raw, path, ['Query', 'Wait', 'Count']);
  const { query, waitMs } = take(f, path, 1);
  return { query, waitMs, count: parseCount(f.Count, fieldPath(path, 'Count')) };
}

export function parseCount(raw: unknown, path: string): number {
  return parseSafeInt(raw, path, { min: 1, max: DEQUEUE_COUNT_MAX });
}

function take(f: { Query?: unknown; Wait?: unknown }, path: string, count: number): Take {
  return {
    query: optional(f.Query, MATCH_ALL, (v) => parseQuery(v, fieldPath(path, 'Query'))),
    waitMs: optional(f.Wait, DEQUEUE_WAIT_DEFAULT_MS, (v) => parseDuration(v, fieldPath(path, 'Wait'), WAIT_BOUNDS)),
    count,
  };
}

/** A heartbeat: the `Attempt` being renewed, or null to skip the staleness check. */
export function parseHeartbeat(raw: unknown, path: string): { attempt: number | null } {
  const f = readFields(raw, path, ['Attempt']);
  return { attempt: parseAttempt(f.Attempt, fieldPath(path, 'Attempt')) };
}

/** An ack of one item named in the URL. */
export function parseAck(raw: unknown, path: string): Omit<AckCommand, 'id'> {
  const f = readFields(raw, path, ['Attempt', 'Passed', 'Error']);
  return ackOf(f, path);
}

/** `{Acks}`: 1 to BATCH_MAX acks, each naming its item's `ID`. */
export function parseAckBatch(raw: unknown, path: string): AckCommand[] {
  const f = readFields(raw, path, ['Acks']);
  return parseBatch(f.Acks, fieldPath(path, 'Acks'), { noun: 'acks', max: BATCH_MAX }, (entry, at) => {
    const e = readFields(entry, at, ['Attempt', 'Passed', 'Error', 'ID']);
    const { attempt, passed, error } = ackOf(e, at);
    return { id: parseToken(e.ID, fieldPath(at, 'ID'), ITEM_ID_MAX_LENGTH), passed, attempt, error };
  });
}

function ackOf(f: { Attempt?: unknown; Passed?: unknown; Error?: unknown }, path: string): Omit<AckCommand, 'id'> {
  const passed = parseBoolean(f.Passed, fieldPath(path, 'Passed'));
  const error = optional<string | null>(f.Error, null, (v) => parseAckError(v, passed, fieldPath(path, 'Error')));
  return { passed, attempt: parseAttempt(f.Attempt, fieldPath(path, 'Attempt')), error };
}

/** A failed ack's reason: a string of at most ACK_ERROR_MAX_BYTES, only with `Passed: false`. */
export function parseAckError(raw: unknown, passed: boolean, path: string): string {
  if (passed) throw new InvalidInputError(path, 'is only allowed with Passed false (it is the reason a delivery failed)');
  if (typeof raw !== 'string') throw new InvalidInputError(path, `must be a string (got ${describeJsonType(raw)})`);
  if (raw.includes('\u0000') || hasLoneSurrogate(raw)) throw new InvalidInputError(path, 'must be text without NUL characters or lone surrogates');
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > ACK_ERROR_MAX_BYTES) throw new InvalidInputError(path, `must be at most ${ACK_ERROR_MAX_BYTES} bytes as UTF-8 (got ${bytes})`);
  return raw;
}

function parseAttempt(raw: unknown, path: string): number | null {
  return optional<number | null>(raw, null, (v) => parseSafeInt(v, path, { min: 1, max: Number.MAX_SAFE_INTEGER }));
}
