import { storage } from 'nestjs-pino/storage';

/** Every RPC payload: the caller's request id (so `X-Request-ID` flows across processes) and the port command. */
export interface RpcEnvelope<T> {
  readonly requestId: string | null;
  readonly body: T;
}

export function envelope<T>(body: T): RpcEnvelope<T> {
  return { requestId: currentRequestId(), body };
}

/** The id pino-http gave the HTTP request this code runs for (nestjs-pino keeps its logger in AsyncLocalStorage). */
export function currentRequestId(): string | null {
  const bindings = storage.getStore()?.logger.bindings();
  // pino-http binds the id as `reqId` on the request's logger; an RPC handler (rpc-serve.ts) binds `requestId`.
  const id = (bindings?.requestId ?? bindings?.reqId) as unknown;
  return typeof id === 'string' ? id : null;
}
