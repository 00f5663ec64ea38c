import { InvalidInputError } from '../../common/errors';
import { optional, readFields } from '../../common/fields';
import { describeJsonType, fieldPath, indexPath, parseName } from '../../common/names';
import { isScope, SCOPES, type Scope } from '../../common/scopes';

/** The name the key of `WILLOW_ADMIN_KEY` goes by in logs and answers; no stored key may take it. */
export const BOOTSTRAP_KEY_NAME = 'WILLOW_ADMIN_KEY';
const MAX_PATTERNS = 64;

export interface CreateKeyCommand {
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Queue name patterns narrowing the queue scopes; null = every queue. */
  readonly queues: readonly string[] | null;
}

/** `POST /v1/auth/keys {Name, Scopes, Queues?}`: a name, 1+ known scopes (no repeats), 1-64 queue patterns. */
export function parseCreateKey(raw: unknown, path: string): CreateKeyCommand {
  const f = readFields(raw, path, ['Name', 'Scopes', 'Queues']);
  const name = parseName(f.Name, fieldPath(path, 'Name'));
  if (name === BOOTSTRAP_KEY_NAME) throw new InvalidInputError(fieldPath(path, 'Name'), `"${BOOTSTRAP_KEY_NAME}" is reserved for the bootstrap key; choose another name`);
  const scopes = parseScopes(f.Scopes, fieldPath(path, 'Scopes'));
  const queues = optional(f.Queues, null, (v) => parsePatterns(v, fieldPath(path, 'Queues')));
  if (queues !== null && scopes.includes('admin')) {
    throw new InvalidInputError(fieldPath(path, 'Queues'), 'cannot narrow scope admin, which grants every queue; drop Queues or give queue scopes instead');
  }
  return { name, scopes, queues };
}

function parseScopes(raw: unknown, path: string): Scope[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new InvalidInputError(path, `must be a non-empty array of scopes (got ${describeJsonType(raw)})`);
  }
  raw.forEach((scope, i) => {
    if (!isScope(scope)) throw new InvalidInputError(indexPath(path, i), `must be one of ${SCOPES.join(', ')}`);
    if (raw.indexOf(scope) !== i) throw new InvalidInputError(indexPath(path, i), `repeats scope ${scope}`);
  });
  return raw as Scope[];
}

function parsePatterns(raw: unknown, path: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_PATTERNS) {
    throw new InvalidInputError(path, `must be an array of 1 to ${MAX_PATTERNS} queue name patterns such as "ci-*" (got ${describeJsonType(raw)})`);
  }
  return raw.map((pattern, i) => parseName(pattern, indexPath(path, i)));
}
