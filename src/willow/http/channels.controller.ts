import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { MATCH_ALL } from '../../common/query';
import { ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { PageQuery } from '../../platform/http/dto/page.query';
import { QueryBody } from '../../platform/http/dto/query.body';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { QUEUE_ADMIN_PORT, type QueueAdminPort } from '../willow.port';
import { DeleteChannelBody } from './dto/channel.body';
import { ChannelResponse, DeadLetterResponse, IdResponse } from './dto/queue.response';
import { RequireScope } from '../../platform/http/require-scope';


@ApiTags('channels')
@Controller('v1/queues/:Name')
export class ChannelsController {
  constructor(@Inject(QUEUE_ADMIN_PORT) private readonly admin: QueueAdminPort) {}

  /** List a queue's channels with their counts and, when blocked, the limit that blocks them. */
  @Get('channels')
  @ApiPageResponse(ChannelResponse)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'] })
  @RequireScope('queues:read')
  async list(@Param('Name') queue: string, @Query() page: PageQuery, @Res({ passthrough: true }) res: Response): Promise<ChannelResponse[]> {
    return sendPage(res, await this.admin.listChannels(queue, MATCH_ALL, page.toPageRequest()), ChannelResponse.from);
  }

  /** List a queue's channels whose tags match a Query. */
  @Post('channels/query')
  @HttpCode(200)
  @ApiPageResponse(ChannelResponse)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'] })
  @RequireScope('queues:read')
  async query(
    @Param('Name') queue: string,
    @Body() body: QueryBody,
    @Query() page: PageQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChannelResponse[]> {
    return sendPage(res, await this.admin.listChannels(queue, body.toQuery(), page.toPageRequest()), ChannelResponse.from);
  }

  /** Delete a channel: drops its waiting and processing items and frees their counters. */
  @Delete('channels')
  @HttpCode(204)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'], ...STORE_ERRORS })
  @RequireScope('queues:admin')
  async remove(@Param('Name') queue: string, @Body() body: DeleteChannelBody): Promise<void> {
    await this.admin.deleteChannel(queue, body.tags());
  }

  /** List the queue's dead letters by arrival. */
  @Get('dead-letters')
  @ApiPageResponse(DeadLetterResponse)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'] })
  @RequireScope('queues:read')
  async deadLetters(@Param('Name') queue: string, @Query() page: PageQuery, @Res({ passthrough: true }) res: Response): Promise<DeadLetterResponse[]> {
    return sendPage(res, await this.admin.listDeadLetters(queue, page.toPageRequest()), DeadLetterResponse.from);
  }

  /** Requeue a dead letter: the same item goes to the back of its channel with its attempts reset. */
  @Post('dead-letters/:ID/requeue')
  @HttpCode(200)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND', 'DEAD_LETTER_NOT_FOUND'], 409: ['QUEUE_FULL'], ...STORE_ERRORS })
  @RequireScope('queues:admin')
  async requeue(@Param('Name') queue: string, @Param('ID') id: string): Promise<IdResponse> {
    return { ID: (await this.admin.requeueDeadLetter(queue, id)).id };
  }

  /** Delete a dead letter. */
  @Delete('dead-letters/:ID')
  @HttpCode(204)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND', 'DEAD_LETTER_NOT_FOUND'], ...STORE_ERRORS })
  @RequireScope('queues:admin')
  async removeDeadLetter(@Param('Name') queue: string, @Param('ID') id: string): Promise<void> {
    await this.admin.deleteDeadLetter(queue, id);
  }
}
