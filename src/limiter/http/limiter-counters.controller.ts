import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Put, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorCodes, ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { PageQuery } from '../../platform/http/dto/page.query';
import { QueryBody } from '../../platform/http/dto/query.body';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { LimitReachedError } from '../domain/limiter.errors';
import { LIMITER_PORT, type LimiterPort } from '../limiter.port';
import { CounterChangeBody, ExplainBody, SetCounterBody } from './dto/counter.body';
import { CounterResponse, ExplanationResponse, LimitReachedResponse } from './dto/counter.response';
import { RequireScope } from '../../platform/http/require-scope';

@ApiTags('limiter')
@Controller('v1/limiter')
export class LimiterCountersController {
  constructor(@Inject(LIMITER_PORT) private readonly limiter: LimiterPort) {}

  /** Increment a counter if every enforced limit still fits; all-or-nothing. */
  @Post('counters')
  @HttpCode(200)
  @ApiErrors({ ...STORE_ERRORS })
  @ApiErrorCodes(409, ['LIMIT_REACHED'], LimitReachedResponse)
  @RequireScope('limiter:counters')
  async increment(@Body() body: CounterChangeBody): Promise<CounterResponse> {
    const result = await this.limiter.tryIncrement(body.toCommand());
    if (!result.allowed) throw new LimitReachedError(result);
    return CounterResponse.from(result);
  }

  /** Decrement a counter (never below 0; a counter at 0 is removed; an unknown counter is 0). */
  @Delete('counters')
  @HttpCode(200)
  @ApiErrors({ ...STORE_ERRORS })
  @RequireScope('limiter:counters')
  async decrement(@Body() body: CounterChangeBody): Promise<CounterResponse> {
    return CounterResponse.from(await this.limiter.decrement(body.toCommand()));
  }

  /** Set a counter exactly, with no limit check (administration, reconciliation). */
  @Put('counters/set')
  @ApiErrors({ ...STORE_ERRORS })
  @RequireScope('limiter:admin')
  async set(@Body() body: SetCounterBody): Promise<CounterResponse> {
    return CounterResponse.from(await this.limiter.set(body.toCommand()));
  }

  /** List counters, sorted by the canonical encoding of their tags. */
  @Get('counters')
  @ApiPageResponse(CounterResponse)
  @ApiErrors({})
  @RequireScope('limiter:counters')
  async list(@Query() page: PageQuery, @Res({ passthrough: true }) res: Response): Promise<CounterResponse[]> {
    return sendPage(res, await this.limiter.listCounters({}, page.toPageRequest()), CounterResponse.from);
  }

  /** List counters whose tags match a Query. */
  @Post('counters/query')
  @HttpCode(200)
  @ApiPageResponse(CounterResponse)
  @ApiErrors({})
  @RequireScope('limiter:counters')
  async query(
    @Body() body: QueryBody,
    @Query() page: PageQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CounterResponse[]> {
    return sendPage(res, await this.limiter.listCounters(body.toQuery(), page.toPageRequest()), CounterResponse.from);
  }

  /** Explain every limit enforced on a tag set, its count, and whether Counters more would fit. */
  @Post('explain')
  @HttpCode(200)
  @ApiErrors({})
  @RequireScope('limiter:counters')
  async explain(@Body() body: ExplainBody): Promise<ExplanationResponse> {
    return ExplanationResponse.from(await this.limiter.explain(body.toCommand()));
  }
}
