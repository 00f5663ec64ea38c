import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { PageQuery } from '../../platform/http/dto/page.query';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { LIMITER_ADMIN_PORT, type LimiterAdminPort } from '../limiter-admin.port';
import { CreateOverrideBody, UpdateLimitBody } from './dto/rule.body';
import { OverrideResponse } from './dto/rule.response';
import { RequireScope } from '../../platform/http/require-scope';

const NOT_FOUND = { 404: ['RULE_NOT_FOUND', 'OVERRIDE_NOT_FOUND'] };

@ApiTags('limiter')
@RequireScope('limiter:admin')
@Controller('v1/limiter/rules/:Name/overrides')
export class LimiterOverridesController {
  constructor(@Inject(LIMITER_ADMIN_PORT) private readonly admin: LimiterAdminPort) {}

  /** Create an override: its Limit replaces the rule's for counters holding all its KeyValues. */
  @Post()
  @ApiErrors({ 404: ['RULE_NOT_FOUND'], 409: ['ALREADY_EXISTS'], ...STORE_ERRORS })
  async create(@Param('Name') rule: string, @Body() body: CreateOverrideBody): Promise<OverrideResponse> {
    return OverrideResponse.from(await this.admin.createOverride(body.toCommand(rule)));
  }

  /** List a rule's overrides, sorted by Name. */
  @Get()
  @ApiPageResponse(OverrideResponse)
  @ApiErrors({ 404: ['RULE_NOT_FOUND'] })
  async list(
    @Param('Name') rule: string,
    @Query() page: PageQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OverrideResponse[]> {
    return sendPage(res, await this.admin.listOverrides({ name: rule }, page.toPageRequest()), OverrideResponse.from);
  }

  /** Get one override. */
  @Get(':Override')
  @ApiErrors(NOT_FOUND)
  async get(@Param('Name') rule: string, @Param('Override') name: string): Promise<OverrideResponse> {
    return OverrideResponse.from(await this.admin.getOverride({ rule, name }));
  }

  /** Change an override's Limit (KeyValues are immutable). */
  @Put(':Override')
  @ApiErrors({ ...NOT_FOUND, ...STORE_ERRORS })
  async update(
    @Param('Name') rule: string,
    @Param('Override') name: string,
    @Body() body: UpdateLimitBody,
  ): Promise<OverrideResponse> {
    return OverrideResponse.from(await this.admin.updateOverrideLimit({ rule, name, limit: body.limit() }));
  }

  /** Delete an override; counters stay. */
  @Delete(':Override')
  @HttpCode(204)
  @ApiErrors({ ...NOT_FOUND, ...STORE_ERRORS })
  async delete(@Param('Name') rule: string, @Param('Override') name: string): Promise<void> {
    await this.admin.deleteOverride({ rule, name });
  }
}
