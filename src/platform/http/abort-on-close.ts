import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';

/**
 * Injects an AbortSignal that aborts when the client goes away before its answer is written, so a long-poll ends
 * early and gives back whatever it had claimed.
 */
export const AbortOnClose = createParamDecorator((_data: unknown, ctx: ExecutionContext): AbortSignal => {
  const http = ctx.switchToHttp();
  const req = http.getRequest<Request>();
  const res = http.getResponse<Response>();
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  req.socket?.once('close', onClose);
  return controller.signal;
});
