import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidInputError } from '../../common/errors';
import { AbortOnClose } from '../../platform/http/abort-on-close';
import { ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { PageQuery } from '../../platform/http/dto/page.query';
import { QueryBody } from '../../platform/http/dto/query.body';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { LockHeldError } from '../domain/locker.errors';
import { LOCKER_PORT, type LockerPort } from '../locker.port';
import { AcquireLockBody } from './dto/acquire-lock.body';
import { LockSessionBody, ReleaseLockBody } from './dto/lock-session.body';
import { ExpiresAtResponse, LockGrantResponse, LockInfoResponse } from './dto/lock.response';
import { RequireScope } from '../../platform/http/require-scope';


@ApiTags('locker')
@Controller('v1/locks')
export class LockerController {
  constructor(@Inject(LOCKER_PORT) private readonly locker: LockerPort) {}

  /** Acquire a lock, queueing in arrival order up to `Wait`. */
  @Post()
  @ApiErrors({ 409: ['LOCK_HELD'], ...STORE_ERRORS })
  @RequireScope('locks', { waits: true })
  async acquire(@Body() body: AcquireLockBody, @AbortOnClose() signal: AbortSignal): Promise<LockGrantResponse> {
    const cmd = body.toCommand();
    const grant = await this.locker.acquire(cmd, signal);
    if (!grant) throw new LockHeldError(cmd.waitMs);
    if (signal.aborted) {
      // The client left while the grant was being written: nobody would ever release it.
      await this.locker.release({ lockId: grant.lockId, sessionId: grant.sessionId });
      throw new LockHeldError(cmd.waitMs);
    }
    return LockGrantResponse.from(grant);
  }

  /** Renew a lock's lease by its Timeout. */
  @Post(':LockID/heartbeat')
  @HttpCode(200)
  @ApiErrors({ 404: ['LOCK_NOT_FOUND'], 409: ['SESSION_INVALID'], ...STORE_ERRORS })
  @RequireScope('locks')
  heartbeat(@Param('LockID') lockId: string, @Body() body: LockSessionBody): Promise<ExpiresAtResponse> {
    return this.locker.heartbeat({ lockId, sessionId: body.sessionId() }).then((r) => ({ ExpiresAt: r.expiresAt }));
  }

  /** Release a lock; the first waiter is granted it. */
  @Delete(':LockID')
  @HttpCode(204)
  @ApiErrors({ 404: ['LOCK_NOT_FOUND'], 409: ['SESSION_INVALID'], ...STORE_ERRORS })
  @RequireScope('locks')
  async release(
    @Param('LockID') lockId: string,
    @Body() body: ReleaseLockBody,
    @Query('SessionID') sessionFromQuery?: string,
  ): Promise<void> {
    const sessionId = body.sessionId() ?? sessionFromQuery;
    if (!sessionId) throw new InvalidInputError('SessionID', 'is required; send it in the body or as ?SessionID=');
    await this.locker.release({ lockId, sessionId });
  }

  /** List held locks (never their session ids). */
  @Get()
  @ApiPageResponse(LockInfoResponse)
  @ApiErrors({})
  @RequireScope('locks')
  list(@Query() page: PageQuery, @Res({ passthrough: true }) res: Response): Promise<LockInfoResponse[]> {
    return this.locker.list({}, page.toPageRequest()).then((p) => sendPage(res, p, LockInfoResponse.from));
  }

  /** List held locks whose tags match a Query. */
  @Post('query')
  @HttpCode(200)
  @ApiPageResponse(LockInfoResponse)
  @ApiErrors({})
  @RequireScope('locks')
  query(
    @Body() body: QueryBody,
    @Query() page: PageQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LockInfoResponse[]> {
    return this.locker.list(body.toQuery(), page.toPageRequest()).then((p) => sendPage(res, p, LockInfoResponse.from));
  }
}
