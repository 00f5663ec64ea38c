import { TimeoutError } from 'rxjs';
import { DependencyUnavailableError, RemoteDomainError, type DomainError } from '../../common/errors';

/**
 * Turns whatever an RPC call failed with back into a DomainError. A `{Message, Code, ...details}` body (the
 * DomainErrorFilter's rethrow on the serving side) keeps its code and details; anything else (refused or lost
 * connection, no responder, reply timeout, a peer without the handler) means the port is unreachable.
 */
export function decodeRpcError(error: unknown, dependency: string, timeoutMs: number): DomainError {
  if (isWireError(error)) {
    const { Message, Code, ...details } = error;
    // The serving process refused this one's transport secret: to the client, the dependency is unreachable.
    if (Code === 'UNAUTHENTICATED') return new DependencyUnavailableError(dependency, 'it refused this process: WILLOW_TRANSPORT_SECRET differs');
    return new RemoteDomainError(Code, Message, details);
  }
  if (error instanceof TimeoutError) return new DependencyUnavailableError(dependency, `no answer within ${timeoutMs} ms`);
  return new DependencyUnavailableError(dependency, describe(error));
}

function isWireError(error: unknown): error is { Message: string; Code: string; [detail: string]: unknown } {
  if (typeof error !== 'object' || error === null) return false;
  const { Message, Code } = error as Record<string, unknown>;
  return typeof Message === 'string' && typeof Code === 'string' && /^[A-Z][A-Z_]*$/.test(Code);
}

function describe(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message || error.name;
  }
  return 'transport error';
}
