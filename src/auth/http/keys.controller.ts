import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { PageQuery } from '../../platform/http/dto/page.query';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { RequireScope } from '../../platform/http/require-scope';
import { KeyRegistry } from '../key-registry.service';
import { CreateKeyBody } from './dto/key.body';
import { CreatedKeyResponse, KeyResponse } from './dto/key.response';

@ApiTags('auth')
@Controller('v1/auth/keys')
@RequireScope('admin')
export class KeysController {
  constructor(private readonly keys: KeyRegistry) {}

  /** Create an API key; the answer shows the key once (only its hash is stored). */
  @Post()
  @ApiErrors({ 409: ['ALREADY_EXISTS'], ...STORE_ERRORS })
  async create(@Body() body: CreateKeyBody): Promise<CreatedKeyResponse> {
    const { key, stored } = await this.keys.create(body.toCommand());
    return { ...KeyResponse.from(stored), Key: key };
  }

  /** List API keys by name (never the keys themselves). */
  @Get()
  @ApiPageResponse(KeyResponse)
  @ApiErrors({})
  async list(@Query() page: PageQuery, @Res({ passthrough: true }) res: Response): Promise<KeyResponse[]> {
    return sendPage(res, await this.keys.list(page.toPageRequest()), KeyResponse.from);
  }

  /** Revoke an API key, at once on every instance. */
  @Delete(':Name')
  @HttpCode(204)
  @ApiErrors({ 404: ['KEY_NOT_FOUND'], ...STORE_ERRORS })
  async revoke(@Param('Name') name: string): Promise<void> {
    await this.keys.revoke(name);
  }
}
