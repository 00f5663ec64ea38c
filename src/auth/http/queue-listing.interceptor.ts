import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { ACCESS_RULE, type AccessRule } from '../../platform/http/require-scope';
import { mayUseQueue } from '../domain/access';
import type { AuthorizedRequest } from './access.guard';

/**
 * A queue listing (`@RequireScope(..., { listsQueues: true })`) keeps only the queues the caller's key may see. The
 * page's `Willow-Next-Cursor` is the unfiltered page's, so a page may hold fewer than `Limit` queues (even none)
 * while more remain: follow the cursor until it is absent.
 */
@Injectable()
export class QueueListingInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rule = this.reflector.get<AccessRule | string | undefined>(ACCESS_RULE, context.getHandler());
    if (context.getType() !== 'http' || typeof rule !== 'object' || !rule.listsQueues) return next.handle();
    const principal = context.switchToHttp().getRequest<AuthorizedRequest>().principal;
    if (!principal || principal.queues === null) return next.handle();
    return next.handle().pipe(
      map((answer: unknown) => (Array.isArray(answer) ? answer.filter((queue: { Name?: unknown }) => typeof queue.Name === 'string' && mayUseQueue(principal, queue.Name)) : answer)),
    );
  }
}
