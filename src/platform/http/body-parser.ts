import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { DomainError, InvalidJsonError, TooDeepError, TooLargeError } from '../../common/errors';
import { MAX_JSON_DEPTH } from '../../common/json-depth';
import { findJsonFault } from '../../common/json-input';

type WithBodyFault = Request & { bodyFault?: DomainError };

/**
 * JSON body parsing with Willow's error bodies. Any Content-Type is read as JSON (a client that omits the header is
 * accepted). A body that cannot be taken as sent is not answered here: its fault is kept on the request and thrown
 * by `BodyFaultGuard` once the request is routed, so the answer goes through the one error filter and the request
 * logger like any other (request id, log line). Faults: malformed JSON or an undecodable `Content-Encoding` or
 * charset 400 INVALID_JSON, an oversized body 413 TOO_LARGE, nesting deeper than 64 levels 400 TOO_DEEP, and a
 * `__proto__` key or a number JSON cannot hold (`1e400`) 400 INVALID_INPUT naming its path.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = json({ limit: limitBytes, type: () => true, strict: false });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      const fault = err === undefined ? checkBody(req.body) : toBodyFault(err as ParserError, limitBytes);
      if (fault) {
        (req as WithBodyFault).bodyFault = fault;
        req.body = undefined;
      }
      next();
    });
  };
}

interface ParserError {
  readonly type?: string;
  readonly status?: number;
  readonly message?: string;
}

function checkBody(body: unknown): DomainError | null {
  if (body === undefined) return null;
  const fault = findJsonFault(body, MAX_JSON_DEPTH);
  return fault === 'too-deep' ? new TooDeepError(MAX_JSON_DEPTH) : fault;
}

function toBodyFault(err: ParserError, limitBytes: number): DomainError {
  if (err.type === 'entity.too.large') return new TooLargeError('Request body', limitBytes);
  if (err.type === 'entity.parse.failed') {
    return new InvalidJsonError(`Request body is not valid JSON (${err.message ?? 'parse error'}); send a JSON object`);
  }
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
    return new InvalidJsonError(`Request body could not be read (${err.message ?? err.type}); send UTF-8 JSON, plain or gzip, deflate or br encoded`);
  }
  // Anything else the parser reports is a body that could not be read: a broken gzip/deflate/br stream, an aborted
  // upload. None of it is the server's fault.
  const cause = err.message ?? err.type ?? 'read error';
  return new InvalidJsonError(`Request body could not be decoded (${cause}); check its Content-Encoding`);
}

/** Throws the body fault the parser kept, for every routed HTTP request (see `jsonBody`). */
export class BodyFaultGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const fault = context.switchToHttp().getRequest<WithBodyFault>().bodyFault;
    if (fault) throw fault;
    return true;
  }
}
