/**
 * Every failure the helpers throw: an answer of the server (`status` and its `{Code, Message}` body) or a request
 * that got no answer (`status` 0, `code` `UNREACHABLE`). Switch on `code`, which is stable; messages are for people.
 */
export class WillowError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The other fields of the error body, e.g. `Path` of a 400 or `Rule` of a `LIMIT_REACHED`. */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WillowError';
  }

  /** From a non-2xx answer whose body was parsed (or not) by the caller. */
  static fromBody(status: number, body: unknown): WillowError {
    if (body !== null && typeof body === 'object') {
      const { Code, Message, ...details } = body as Record<string, unknown>;
      if (typeof Code === 'string') return new WillowError(status, Code, typeof Message === 'string' ? Message : Code, details);
    }
    const text = typeof body === 'string' && body.length > 0 ? body : `HTTP ${status}`;
    return new WillowError(status, `HTTP_${status}`, text);
  }

  /** A request that never got an answer: refused connection, reset, DNS failure. */
  static unreachable(cause: unknown): WillowError {
    const reason = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    return new WillowError(0, 'UNREACHABLE', `Willow is unreachable: ${reason}`, {}, { cause });
  }
}

/** True for failures worth retrying later: no answer, the store or a dependency unavailable, shutting down. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof WillowError)) return !isAbort(error);
  return error.status === 0 || error.status === 503 || error.status === 502 || error.status === 504;
}

/** An aborted request. Checked by name: the DOMException may come from another realm than this module's Error. */
export function isAbort(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'TimeoutError';
}
