import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';

/**
 * Injects an AbortSignal that aborts when the client goes away before its answer is written, so a long-poll ends
 * early and gives back whatever it had claimed.
 */
export const AbortOnClose = createParamDecorator((_data: unknown, ctx: ExecutionContext): AbortSignal => {
  const http = ctx.switchToHttp();
  const res = http.getResponse<Response>();
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  // The response (not the keep-alive socket, which outlives it) reports a connection lost before the answer.
  res.once('close', onClose);
  return controller.signal;
});
