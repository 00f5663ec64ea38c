import { catchError, firstValueFrom, fromEvent, takeUntil, throwError, timeout, type Observable } from 'rxjs';
import { envelope } from './rpc-envelope';
import { decodeRpcError } from './rpc-error.codec';

/** What RpcCaller needs of a Nest ClientProxy (ClientTCP, ClientNats). */
export interface RpcClient {
  send<T>(pattern: string, data: unknown): Observable<T>;
  close(): unknown;
}

/** How long a plain call may take before the port counts as unreachable. */
export const REPLY_MARGIN_MS = 5_000;

/**
 * Request-reply over a ClientProxy, shared by every `*RpcClient`: wraps the body in the envelope, bounds the wait
 * (`waitMs` of a long-poll plus a margin), and decodes failures into DomainErrors naming `dependency`.
 */
export class RpcCaller {
  constructor(
    readonly dependency: string,
    readonly client: RpcClient,
    private readonly marginMs = REPLY_MARGIN_MS,
  ) {}

  /** Resolves the reply; `undefined` when the method answers nothing or `signal` aborted the wait (local only: the
   * serving side is not told). */
  call<T>(pattern: string, body: unknown, opts: { waitMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    const limitMs = opts.timeoutMs ?? (opts.waitMs ?? 0) + this.marginMs;
    let reply$ = this.client.send<T>(pattern, envelope(body)).pipe(
      timeout({ first: limitMs }),
      catchError((error: unknown) => throwError(() => decodeRpcError(error, this.dependency, limitMs))),
    );
    if (opts.signal) reply$ = reply$.pipe(takeUntil(fromEvent(opts.signal, 'abort')));
    return firstValueFrom(reply$, { defaultValue: undefined as T });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
