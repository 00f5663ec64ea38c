import type { NextFunction, Request, Response, RequestHandler, ErrorRequestHandler } from 'express';
import { json } from 'express';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../common/json-depth';

/**
 * JSON body parsing with Willow's error bodies. Any Content-Type is read as JSON (a client that omits the header is
 * accepted), malformed JSON is 400 INVALID_JSON, an oversized body 413 TOO_LARGE, and nesting deeper than 64 levels
 * 400 TOO_DEEP before any validation runs.
 */
export function jsonBody(limitBytes: number): [RequestHandler, ErrorRequestHandler, RequestHandler] {
  const parse = json({ limit: limitBytes, type: () => true, strict: false });
  const onParseError: ErrorRequestHandler = (err: { type?: string; status?: number; message?: string }, _req, res, next) => {
    if (err?.type === 'entity.too.large') {
      res.status(413).json({ Message: `Request body is larger than ${limitBytes} bytes; send less per request`, Code: 'TOO_LARGE', LimitBytes: limitBytes });
      return;
    }
    if (err?.type === 'entity.parse.failed') {
      res.status(400).json({ Message: `Request body is not valid JSON (${err.message ?? 'parse error'}); send a JSON object`, Code: 'INVALID_JSON' });
      return;
    }
    if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported' || err?.type === 'request.aborted') {
      res.status(err.status ?? 400).json({ Message: `Request body could not be read (${err.message ?? err.type}); send UTF-8 JSON`, Code: 'INVALID_JSON' });
      return;
    }
    next(err);
  };
  const depthGuard = (req: Request, res: Response, next: NextFunction) => {
    if (req.body !== undefined && jsonDepthExceeds(req.body, MAX_JSON_DEPTH)) {
      res.status(400).json({ Message: `Request body is nested deeper than ${MAX_JSON_DEPTH} levels; flatten it`, Code: 'TOO_DEEP' });
      return;
    }
    next();
  };
  return [parse, onParseError, depthGuard];
}
