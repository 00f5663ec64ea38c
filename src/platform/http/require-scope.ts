import { applyDecorators, SetMetadata, type CanActivate } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { Scope } from '../../common/scopes';
import { ApiErrorCodes } from './api-errors';

/** What a route asks of the caller, read by the one access guard from the route's metadata. */
export interface AccessRule {
  readonly scope: Scope;
  /** Where the queue the route acts on is named: the `:Name` path parameter, the body's `Name`, or nowhere. */
  readonly queue: 'param' | 'body' | null;
  /** A long-poll or lock wait (unless its `Wait` is 0): counts towards the caller's concurrent waiters. */
  readonly waits: boolean;
  /** A listing of queues: the answer keeps only the queues the caller's key may see. */
  readonly listsQueues: boolean;
}

export const ACCESS_RULE = 'willow:access-rule';
/** Marks a route every client may call (health); a route with no rule at all is refused to all but admin. */
export const OPEN_ROUTE = 'open';
/** The OpenAPI extension naming each operation's scope (`x-willow-scope`), or `open`. */
export const SCOPE_EXTENSION = 'x-willow-scope';
/** The bearer security scheme of the OpenAPI document (Swagger UI's Authorize button). */
export const BEARER_SCHEME = 'bearer';
/** The provider of the one access guard, which configureApp runs before any other guard. */
export const ACCESS_GUARD = Symbol('AccessGuard');
export interface AccessGuard extends CanActivate {
  /** True for a request the guard will refuse whatever its body (no key where one is needed): its body is not read. */
  refusesUnread(req: IncomingMessage): boolean;
}

/**
 * Declares the scope a route needs (DESIGN.md §10), for the access guard and the OpenAPI document (the bearer
 * scheme, the scope, and the 401, 403 and 429 answers). Queue scopes act on the `:Name` parameter by default.
 */
export function RequireScope(scope: Scope, opts: Partial<Omit<AccessRule, 'scope'>> = {}): MethodDecorator & ClassDecorator {
  const rule: AccessRule = {
    scope,
    queue: opts.queue !== undefined ? opts.queue : scope.startsWith('queues:') ? 'param' : null,
    waits: opts.waits ?? false,
    listsQueues: opts.listsQueues ?? false,
  };
  return applyDecorators(
    SetMetadata(ACCESS_RULE, rule),
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension(SCOPE_EXTENSION, scope),
    ApiErrorCodes(401, ['UNAUTHENTICATED']),
    ApiErrorCodes(403, ['FORBIDDEN']),
    ApiErrorCodes(429, ['RATE_LIMITED']),
  );
}

const VISIBLE_QUEUES = Symbol('VisibleQueues');
type WithVisibleQueues = IncomingMessage & { [VISIBLE_QUEUES]?: (queue: string) => boolean };

/** Set by the access guard on a listing route (`listsQueues`): which queues the caller's key may see. */
export function setVisibleQueues(req: IncomingMessage, visible: (queue: string) => boolean): void {
  (req as WithVisibleQueues)[VISIBLE_QUEUES] = visible;
}

/**
 * The queues a listing route (`listsQueues`) may show its caller. Fails closed: a listing whose request the access
 * guard did not judge is an error, never a listing of every queue.
 */
export function visibleQueues(req: IncomingMessage): (queue: string) => boolean {
  const visible = (req as WithVisibleQueues)[VISIBLE_QUEUES];
  if (!visible) throw new Error('a queue listing ran without the access guard: declare it with @RequireScope(..., { listsQueues: true })');
  return visible;
}

/** A route open to every client, with or without a key (health). */
export function OpenRoute(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ACCESS_RULE, OPEN_ROUTE), ApiExtension(SCOPE_EXTENSION, OPEN_ROUTE));
}
