import { QUEUE_SCOPES, type Scope } from '../../common/scopes';

/** Who a request acts for: a key (by name, never the key itself) or an anonymous client that mode lets in. */
export interface Principal {
  /** The key's `Name`; null for an anonymous client (protected mode on loopback, or `WILLOW_AUTH=off`). */
  readonly name: string | null;
  readonly scopes: readonly Scope[];
  /** Queue name patterns (`*` matches any run of characters); null = every queue. */
  readonly queues: readonly string[] | null;
}

/** What a route asks of the principal: a scope, and the queue it acts on when there is one. */
export interface AccessRequest {
  readonly scope: Scope;
  readonly queue: string | null;
}

/** Why access was refused: the scope the principal lacks, or the queue its patterns do not cover. */
export type Refusal = { readonly kind: 'scope'; readonly scope: Scope } | { readonly kind: 'queue'; readonly scope: Scope; readonly queue: string };

/** Everything, as an anonymous client in protected mode on loopback, or with `WILLOW_AUTH=off`, may do. */
export const EVERYTHING: readonly Scope[] = ['admin'];

/**
 * Null when `principal` may do `request`; otherwise why not. `admin` grants every scope on every queue; a queue
 * scope with `Queues` patterns grants it only on matching queue names.
 */
export function checkAccess(principal: Principal, request: AccessRequest): Refusal | null {
  if (principal.scopes.includes('admin')) return null;
  if (!principal.scopes.includes(request.scope)) return { kind: 'scope', scope: request.scope };
  if (request.queue !== null && QUEUE_SCOPES.includes(request.scope) && !mayUseQueue(principal, request.queue)) {
    return { kind: 'queue', scope: request.scope, queue: request.queue };
  }
  return null;
}

/** True when the principal's `Queues` patterns (if any) cover `queue`; `admin` covers every queue. */
export function mayUseQueue(principal: Principal, queue: string): boolean {
  if (principal.queues === null || principal.scopes.includes('admin')) return true;
  return principal.queues.some((pattern) => matchesPattern(pattern, queue));
}

/**
 * A queue name pattern: `*` matches any run of characters (none included), everything else matches itself, case
 * sensitively. `ci-*` matches `ci-` and `ci-linux`; `*` matches every name. No other character is special.
 */
export function matchesPattern(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = name.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** The message of a refusal, naming the missing scope (and the queue, when the patterns are what refused). */
export function describeRefusal(keyName: string | null, refusal: Refusal): string {
  const who = keyName === null ? 'This client' : `Key "${keyName}"`;
  if (refusal.kind === 'scope') return `${who} lacks scope ${refusal.scope}; use a key that has it (or admin)`;
  return `${who} has scope ${refusal.scope} but not on queue "${refusal.queue}"; its Queues patterns do not match`;
}
