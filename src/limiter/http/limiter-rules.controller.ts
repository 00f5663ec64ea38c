import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { PageQuery } from '../../platform/http/dto/page.query';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { LIMITER_ADMIN_PORT, type LimiterAdminPort } from '../limiter-admin.port';
import { CreateRuleBody, UpdateLimitBody } from './dto/rule.body';
import { RuleResponse } from './dto/rule.response';
import { RequireScope } from '../../platform/http/require-scope';

@ApiTags('limiter')
@RequireScope('limiter:admin')
@Controller('v1/limiter/rules')
export class LimiterRulesController {
  constructor(@Inject(LIMITER_ADMIN_PORT) private readonly admin: LimiterAdminPort) {}

  /** Create a rule: at most Limit counters per group of GroupBy values. */
  @Post()
  @ApiErrors({ 409: ['ALREADY_EXISTS'], ...STORE_ERRORS })
  async create(@Body() body: CreateRuleBody): Promise<RuleResponse> {
    return RuleResponse.from(await this.admin.createRule(body.toCommand()));
  }

  /** List rules with their overrides, sorted by Name. */
  @Get()
  @ApiPageResponse(RuleResponse)
  @ApiErrors({})
  async list(@Query() page: PageQuery, @Res({ passthrough: true }) res: Response): Promise<RuleResponse[]> {
    return sendPage(res, await this.admin.listRules(page.toPageRequest()), RuleResponse.from);
  }

  /** Get one rule with its overrides. */
  @Get(':Name')
  @ApiErrors({ 404: ['RULE_NOT_FOUND'] })
  async get(@Param('Name') name: string): Promise<RuleResponse> {
    return RuleResponse.from(await this.admin.getRule({ name }));
  }

  /** Change a rule's Limit (GroupBy is immutable). */
  @Put(':Name')
  @ApiErrors({ 404: ['RULE_NOT_FOUND'], ...STORE_ERRORS })
  async update(@Param('Name') name: string, @Body() body: UpdateLimitBody): Promise<RuleResponse> {
    return RuleResponse.from(await this.admin.updateRuleLimit({ name, limit: body.limit() }));
  }

  /** Delete a rule and its overrides; counters stay. */
  @Delete(':Name')
  @HttpCode(204)
  @ApiErrors({ 404: ['RULE_NOT_FOUND'], ...STORE_ERRORS })
  async delete(@Param('Name') name: string): Promise<void> {
    await this.admin.deleteRule({ name });
  }
}
