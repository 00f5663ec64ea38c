import type { IncomingMessage, ServerResponse } from 'node:http';
import { newId } from '../../common/ids';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

type WithId = IncomingMessage & { id?: unknown };

/**
 * The request's id: the client's `X-Request-ID` when it is printable ASCII (1-128 characters), otherwise a new one;
 * echoed in the answer. Assigned by the very first middleware, so even an answer the body parser gives carries it,
 * and reused by the request logger.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const known = (req as WithId).id;
  if (typeof known === 'string') return known;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
  (req as WithId).id = id;
  res.setHeader('X-Request-ID', id);
  return id;
}
