/**
 * One example body per stable error code, shown in the OpenAPI document under each status that can carry it.
 * Messages follow the real ones; detail fields are those the error adds to `{Message, Code}`.
 */
export const ERROR_EXAMPLES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  INVALID_INPUT: { Message: 'KeyValues.os: must be a string, finite number or boolean; null is not allowed', Path: 'KeyValues.os' },
  INVALID_JSON: { Message: 'Request body is not valid JSON (Unexpected end of JSON input); send a JSON object' },
  TOO_DEEP: { Message: 'Request body is nested deeper than 64 levels; flatten it' },
  TOO_LARGE: { Message: 'Request body is larger than 2097152 bytes; send less per request', LimitBytes: 2097152 },
  ALREADY_EXISTS: { Message: 'Queue "builds" already exists', Queue: 'builds' },
  QUEUE_NOT_FOUND: { Message: 'Queue "builds" does not exist; create it with POST /v1/queues', Queue: 'builds' },
  ITEM_NOT_FOUND: {
    Message: 'Item it_01J9Z3 is not being processed in queue "builds" (never existed, acked, or its lease ran out)',
    ID: 'it_01J9Z3',
  },
  DEAD_LETTER_NOT_FOUND: {
    Message: 'No dead letter it_01J9Z3 in queue "builds"; list them with GET /v1/queues/{Name}/dead-letters',
    ID: 'it_01J9Z3',
  },
  QUEUE_FULL: {
    Message: 'Queue "builds" holds 100 of at most 100 items and cannot take 1 more; wait for consumers, or raise MaxItems with PUT /v1/queues/{Name}',
    MaxItems: 100,
    Items: 100,
  },
  LEASE_LOST: {
    Message: 'Delivery 1 of item it_01J9Z3 is no longer current (its lease ran out; the item is now at delivery 2); nothing was changed, do not act on this delivery',
    ID: 'it_01J9Z3',
    Attempt: 1,
  },
  QUEUE_DELETED: { Message: 'Queue "builds" was deleted while this request waited', Queue: 'builds' },
  RULE_NOT_FOUND: {
    Message: 'No rule named "limit_cicd_branch_builds"; list rules with GET /v1/limiter/rules or create it with POST /v1/limiter/rules',
    Rule: 'limit_cicd_branch_builds',
  },
  OVERRIDE_NOT_FOUND: {
    Message: 'Rule "limit_cicd_branch_builds" has no override named "main"; list them with GET /v1/limiter/rules/{Name}/overrides',
    Rule: 'limit_cicd_branch_builds',
    Override: 'main',
  },
  LIMIT_REACHED: {
    Message: 'Limit reached: rule "limit_cicd_branch_builds" allows 1 and already counts 1; decrement a counter in this group or raise the Limit, then retry',
    Rule: 'limit_cicd_branch_builds',
    Limit: 1,
    Count: 1,
  },
  LOCK_HELD: { Message: 'Lock not granted within 10000 ms; retry later or raise Wait', WaitedMs: 10000 },
  SESSION_INVALID: { Message: 'Session does not hold lock lk_01J9Z3 (lease ran out); acquire the lock again', LockID: 'lk_01J9Z3' },
  LOCK_NOT_FOUND: { Message: 'No lock lk_01J9Z3 is held or remembered; acquire it with POST /v1/locks', LockID: 'lk_01J9Z3' },
  STORAGE_FULL: { Message: 'The data directory is full; free disk space and retry (nothing acknowledged was lost)' },
  STORE_UNAVAILABLE: { Message: 'The store is unavailable (connection refused); retry shortly' },
  DEPENDENCY_UNAVAILABLE: { Message: 'limiter is unreachable (connection refused); retry shortly', Dependency: 'limiter' },
  UNAUTHENTICATED: { Message: 'Unknown or revoked key; send Authorization: Bearer <key> with a key from POST /v1/auth/keys' },
  FORBIDDEN: { Message: 'Key "ci-runners" lacks scope queues:produce; use a key that has it (or admin)', Scope: 'queues:produce' },
  RATE_LIMITED: {
    Message: 'More than 1000 requests per second from key "ci-runners"; retry after 1 s (WILLOW_RATE_LIMIT)',
    RetryAfter: 1,
  },
  KEY_NOT_FOUND: { Message: 'No key named "ci-runners"; list keys with GET /v1/auth/keys', Name: 'ci-runners' },
  SHUTTING_DOWN: { Message: 'Willow is shutting down; retry against another instance or after restart' },
  BACKUP_IN_PROGRESS: { Message: 'A backup of this store is already being taken; retry when it has been downloaded' },
  BACKUP_UNSUPPORTED: {
    Message:
      'This process keeps its data in PostgreSQL, which is backed up with its own tools (pg_dump, base backups); GET /v1/backup copies the embedded store only',
  },
};

/** The example of `code`, as a full error body. */
export function errorExample(code: string): Record<string, unknown> {
  const example = ERROR_EXAMPLES[code];
  if (!example) throw new Error(`No OpenAPI example for error code ${code}; add one to ERROR_EXAMPLES`);
  const { Message, ...details } = example;
  return { Message, Code: code, ...details };
}
