import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { throwError } from 'rxjs';
import { DomainError } from '../../common/errors';
import type { ErrorStatusTable } from './kernel.error-status';

interface WireError {
  readonly Message: string;
  readonly Code: string;
  readonly [detail: string]: unknown;
}

/**
 * The one exception filter: domain errors, framework errors (unknown route, body parser) and anything unexpected
 * become `{Message, Code, ...details}`. Over HTTP it writes the body; over RPC it rethrows it so the code survives.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('DomainErrorFilter');

  constructor(private readonly statusByCode: ErrorStatusTable) {}

  catch(error: unknown, host: ArgumentsHost) {
    const { status, body } = this.toWire(error, host);
    if (host.getType() === 'rpc') return throwError(() => body);
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return res.end();
    res.status(status).json(body);
  }

  private toWire(error: unknown, host: ArgumentsHost): { status: number; body: WireError } {
    if (error instanceof DomainError) {
      const status = this.statusByCode[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
      return { status, body: { Message: error.message, Code: error.code, ...error.details } };
    }
    if (error instanceof HttpException) return fromHttpException(error, host);
    const requestId = host.getType() === 'http' ? host.switchToHttp().getRequest<Request>().id : undefined;
    this.logger.error({ err: error, requestId }, 'unexpected error');
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: { Message: `Internal error; report request id ${String(requestId ?? 'unknown')}`, Code: 'INTERNAL' },
    };
  }
}

function fromHttpException(error: HttpException, host: ArgumentsHost): { status: number; body: WireError } {
  const status = error.getStatus();
  if (status === HttpStatus.NOT_FOUND && host.getType() === 'http') {
    const req = host.switchToHttp().getRequest<Request>();
    return {
      status,
      body: { Message: `No route ${req.method} ${req.path}; see /docs for the API`, Code: 'ROUTE_NOT_FOUND' },
    };
  }
  const code = status === HttpStatus.PAYLOAD_TOO_LARGE ? 'TOO_LARGE' : status >= 500 ? 'INTERNAL' : 'INVALID_INPUT';
  return { status, body: { Message: error.message, Code: code } };
}
