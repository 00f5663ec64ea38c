import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { pino, type Logger } from 'pino';
import { assignRequestId } from './request-id';

/** Levels at which every request gets its own log line (pino-http's "request completed"). */
const REQUEST_LOG_LEVELS = new Set(['info', 'debug', 'trace']);
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** The serialized request of a log line, its credential headers replaced (on a copy: the headers are the request's). */
export function withoutCredentials(req: { headers?: Record<string, unknown> }): object {
  const headers = req.headers;
  if (!headers || !CREDENTIAL_HEADERS.some((name) => name in headers)) return req;
  const kept = { ...headers };
  for (const name of CREDENTIAL_HEADERS) if (name in kept) kept[name] = '[redacted]';
  return { ...req, headers: kept };
}

/** Gives a request its logger, which nestjs-pino then keeps for the code the request runs (AsyncLocalStorage). */
export type RequestLogBinder = (req: IncomingMessage, requestId: string) => void;
/** The provider of the binder: null when pino-http gives each request its logger (request lines on). */
export const REQUEST_LOG_BINDER = Symbol('RequestLogBinder');

/**
 * How requests are logged at `level`. At info and below, pino-http writes one line per request and gives each
 * request a logger bound to the serialized request. Above info no request line is written, and pino-http's work per
 * request (three child loggers, the request serialized into each, about 90 µs, a quarter of a small request's cost) is
 * skipped: each request gets one child logger bound to its id, method and path, so a warning written while it runs
 * still says which request it was, and the id still reaches other processes over RPC (rpc-envelope.ts).
 */
export function requestLogging(level: string): { params: Params; binder: RequestLogBinder | null } {
  if (REQUEST_LOG_LEVELS.has(level)) {
    return {
      binder: null,
      params: {
        pinoHttp: {
          level,
          // A request's key is named by `keyName`; the header holding the key itself is never written. (A serializer
          // rather than pino's `redact`, which clones every request's bindings: measurably slower per request.)
          serializers: { req: withoutCredentials },
          genReqId: assignRequestId,
          // `keyName`: the Name of the key the request used (set by the access guard), never the key itself.
          customProps: (req: IncomingMessage) => {
            const { id, keyName } = req as IncomingMessage & { id?: unknown; keyName?: string };
            return keyName === undefined ? { requestId: id } : { requestId: id, keyName };
          },
          autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
          quietReqLogger: true,
        },
      },
    };
  }
  const root: Logger = pino({ level, serializers: { req: withoutCredentials } });
  return {
    // nestjs-pino takes each request's logger from `req.log` (useExisting) and logs through `root` outside requests.
    params: { pinoHttp: { logger: root }, useExisting: true },
    binder: (req, requestId) => {
      (req as IncomingMessage & { log?: Logger }).log = root.child({ requestId, method: req.method, url: req.url });
    },
  };
}
