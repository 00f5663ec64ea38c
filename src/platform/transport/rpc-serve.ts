import { PinoLogger } from 'nestjs-pino';
import { Store, storage } from 'nestjs-pino/storage';
import { InvalidInputError, UnauthenticatedError } from '../../common/errors';
import type { RpcEnvelope } from './rpc-envelope';
import { acceptsSecret } from './rpc-secret';

/**
 * Serves one RPC call: checks the envelope and its transport secret (a message without it is refused and logged), then runs `handle` with the caller's request id bound to every log line
 * written meanwhile (nestjs-pino's AsyncLocalStorage, as for an HTTP request), and logs the call like pino-http
 * logs a request. `quiet` calls (pings, event polls) are not logged.
 */
export async function serveRpc<B, T>(
  pattern: string,
  msg: RpcEnvelope<B>,
  handle: (body: B) => Promise<T> | T,
  opts: { quiet?: boolean } = {},
): Promise<T> {
  if (typeof msg !== 'object' || msg === null || !('body' in msg)) {
    throw new InvalidInputError('', `an RPC payload must be {requestId, body} (pattern ${pattern})`);
  }
  const requestId = typeof msg.requestId === 'string' ? msg.requestId : null;
  const root = PinoLogger.root as PinoLogger['logger'] | undefined;
  if (!acceptsSecret(msg.secret)) {
    root?.warn({ requestId, pattern, secret: msg.secret === undefined ? 'missing' : 'wrong' }, 'rpc refused: no valid WILLOW_TRANSPORT_SECRET');
    throw new UnauthenticatedError(`RPC ${pattern} refused: the message lacks this deployment's WILLOW_TRANSPORT_SECRET`);
  }
  if (!root) return handle(msg.body);
  const log = root.child({ requestId, pattern });
  const started = performance.now();
  return storage.run(new Store(log), async () => {
    try {
      const result = await handle(msg.body);
      if (!opts.quiet) log.info({ responseTime: Math.round(performance.now() - started) }, 'rpc handled');
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      log.info({ responseTime: Math.round(performance.now() - started), code }, 'rpc failed');
      throw error;
    }
  });
}
