import { storage } from 'nestjs-pino/storage';
import { transportSecret } from './rpc-secret';

/**
 * Every RPC payload: the caller's request id (so `X-Request-ID` flows across processes), the deployment's transport
 * secret when one is set (`WILLOW_TRANSPORT_SECRET`), and the port command.
 */
export interface RpcEnvelope<T> {
  readonly requestId: string | null;
  readonly secret?: string;
  readonly body: T;
}

export function envelope<T>(body: T): RpcEnvelope<T> {
  const secret = transportSecret();
  return secret === null ? { requestId: currentRequestId(), body } : { requestId: currentRequestId(), secret, body };
}

/** The id pino-http gave the HTTP request this code runs for (nestjs-pino keeps its logger in AsyncLocalStorage). */
export function currentRequestId(): string | null {
  const bindings = storage.getStore()?.logger.bindings();
  // pino-http binds the id as `reqId` on the request's logger; an RPC handler (rpc-serve.ts) binds `requestId`.
  const id = (bindings?.requestId ?? bindings?.reqId) as unknown;
  return typeof id === 'string' ? id : null;
}
