import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { UnauthenticatedError } from '../../common/errors';
import { CONFIG, type Config } from '../../config';
import { ACCESS_RULE, OPEN_ROUTE, setVisibleQueues, type AccessGuard as AccessGuardPort, type AccessRule } from '../../platform/http/require-scope';
import { AccessLimits } from '../access-limits';
import { checkAccess, describeRefusal, EVERYTHING, mayUseQueue, type Principal } from '../domain/access';
import { ForbiddenError, RateLimitedError } from '../domain/auth.errors';
import { bearerToken } from '../domain/key-material';
import { KeyRegistry } from '../key-registry.service';
import { isLoopbackClient, limitedAddress } from './client-address';
import { waitsFor } from './waits-for';

/** What the guard leaves on the request: the principal and its key's Name (for the request log). */
export type AuthorizedRequest = Request & { principal?: Principal; keyName?: string };

/** A route without a rule is a route someone forgot to declare: only admin may call it. */
const UNDECLARED: AccessRule = { scope: 'admin', queue: null, waits: false, listsQueues: false };
const ANONYMOUS: Principal = { name: null, scopes: EVERYTHING, queues: null };

/**
 * The one access guard (DESIGN.md §10), run before any other: who is calling (a key, or an anonymous client the mode
 * lets in), whether the route's declared scope and queue allow it (`@RequireScope`), and the caller's abuse limits.
 * Health routes are `@OpenRoute()`; Swagger UI and its document are not Nest routes and never reach a guard.
 */
@Injectable()
export class AccessGuard implements AccessGuardPort {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeyRegistry,
    private readonly limits: AccessLimits,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const found = this.reflector.getAllAndOverride<AccessRule | typeof OPEN_ROUTE | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    if (found === OPEN_ROUTE) return true;
    const rule = found ?? UNDECLARED;
    const req = context.switchToHttp().getRequest<AuthorizedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    try {
      const { principal, identity } = await this.identify(req);
      if (principal.name !== null) req.keyName = principal.name;
      req.principal = principal;
      if (identity !== null) this.limits.request(identity);
      const queue = rule.queue === 'param' ? req.params.Name : rule.queue === 'body' ? (req.body as { Name?: unknown } | undefined)?.Name : null;
      const asked = { scope: rule.scope, queue: typeof queue === 'string' ? queue : null };
      const refusal = checkAccess(principal, asked);
      if (refusal) throw new ForbiddenError(describeRefusal(principal.name, refusal), refusal.scope, refusal.kind === 'queue' ? refusal.queue : null);
      // A listing keeps only the queues the key may see (a filter the route applies, rather than an interceptor on
      // every route: Nest runs no interceptor pipeline for a request when none is bound).
      if (rule.listsQueues) setVisibleQueues(req, principal.queues === null ? () => true : (name) => mayUseQueue(principal, name));
      if (rule.waits && identity !== null && waitsFor(req.body)) {
        const done = this.limits.wait(identity);
        res.once('close', done);
      }
      return true;
    } catch (error) {
      // Errors are told apart by their code (STYLE §0.3); the headers their answers carry go on here.
      const code = (error as { code?: unknown }).code;
      if (code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', 'Bearer realm="willow"');
      if (code === 'RATE_LIMITED') res.setHeader('Retry-After', String((error as RateLimitedError).retryAfterSeconds));
      throw error;
    }
  }

  /** No key where one is needed: refused (401) whatever the request holds, so its body need not be read. */
  refusesUnread(req: IncomingMessage): boolean {
    const { mode } = this.config.access;
    if (mode === 'off' || bearerToken(req.headers.authorization) !== null) return false;
    return mode === 'keys' || !isLoopbackClient(req);
  }

  /** The caller and the identity its limits count against (null: not limited). Throws UNAUTHENTICATED. */
  private async identify(req: Request): Promise<{ principal: Principal; identity: string | null }> {
    const { mode } = this.config.access;
    const address = limitedAddress(req);
    const local = isLoopbackClient(req);
    if (mode === 'off') return { principal: ANONYMOUS, identity: local ? null : `addr:${address}` };
    const token = bearerToken(req.headers.authorization);
    if (token !== null) {
      const principal = await this.keys.authenticate(token);
      if (principal) return { principal, identity: `key:${principal.name}` };
      // Guessing keys costs the guesser's address its request budget.
      if (!local) this.limits.request(`addr:${address}`);
      throw new UnauthenticatedError('Unknown or revoked key; send Authorization: Bearer <key> with a key from POST /v1/auth/keys');
    }
    if (mode === 'protected' && local) return { principal: ANONYMOUS, identity: null };
    if (!local) this.limits.request(`addr:${address}`);
    if (mode === 'protected') {
      throw new UnauthenticatedError(
        'Willow has no key configured (WILLOW_ADMIN_KEY is unset), so it answers only clients on its own machine; ' +
          'set WILLOW_ADMIN_KEY (32+ characters) and send Authorization: Bearer <key>, or set WILLOW_AUTH=off behind an authenticating proxy',
      );
    }
    throw new UnauthenticatedError('No key given; send Authorization: Bearer <key>');
  }
}
