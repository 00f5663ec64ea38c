import { parseDuration } from '../../../common/duration';
import { InvalidInputError } from '../../../common/errors';
import { describeJsonType, isJsonObject, parseSafeInt } from '../../../common/names';
import { parseTags } from '../../../common/tags';
import { BATCH_MAX, ITEM_TIMEOUT_DEFAULT_MS, LEASE_BOUNDS, RETRY_ATTEMPTS_MAX } from '../../domain/validate';
import type { NewItem } from '../../willow.port';

const FIELDS = new Set(['KeyValues', 'Data', 'Updateable', 'RetryAttempts', 'RetryPosition', 'Timeout']);

/**
 * Parses the `Items` of a batch enqueue in one pass (the per-item DTO machinery costs more than the store for large
 * batches), with the same rules and messages as a single enqueue; faults name the index (`Items[3].KeyValues.os`).
 */
export function parseEnqueueItems(raw: unknown, path: string): NewItem[] {
  if (!Array.isArray(raw)) throw new InvalidInputError(path, `must be an array of items (got ${describeJsonType(raw)})`);
  if (raw.length < 1 || raw.length > BATCH_MAX) {
    throw new InvalidInputError(path, `must hold 1 to ${BATCH_MAX} items (got ${raw.length}); split larger batches`);
  }
  return raw.map((item, i) => parseEnqueueItem(item, `${path}[${i}]`));
}

function parseEnqueueItem(raw: unknown, path: string): NewItem {
  if (!isJsonObject(raw)) throw new InvalidInputError(path, `must be an object (got ${describeJsonType(raw)})`);
  for (const field of Object.keys(raw)) {
    if (!FIELDS.has(field)) throw new InvalidInputError(`${path}.${field}`, 'is not a known field; remove it (field names are PascalCase)');
  }
  if (raw.Data === undefined) throw new InvalidInputError(`${path}.Data`, 'is required; send any JSON value (binary as a base64 string)');
  if (raw.Updateable !== undefined && typeof raw.Updateable !== 'boolean') {
    throw new InvalidInputError(`${path}.Updateable`, 'must be a boolean');
  }
  if (raw.RetryPosition !== undefined && raw.RetryPosition !== 'front' && raw.RetryPosition !== 'back') {
    throw new InvalidInputError(`${path}.RetryPosition`, 'must be one of the following values: front, back');
  }
  return {
    tags: parseTags(raw.KeyValues, `${path}.KeyValues`),
    data: raw.Data,
    updateable: raw.Updateable ?? true,
    retryAttempts: raw.RetryAttempts === undefined ? 0 : parseSafeInt(raw.RetryAttempts, `${path}.RetryAttempts`, { min: 0, max: RETRY_ATTEMPTS_MAX }),
    retryPosition: raw.RetryPosition ?? 'front',
    timeoutMs: raw.Timeout === undefined ? ITEM_TIMEOUT_DEFAULT_MS : parseDuration(raw.Timeout, `${path}.Timeout`, LEASE_BOUNDS),
  };
}
