import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { PageQuery } from '../../platform/http/dto/page.query';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { QUEUE_ADMIN_PORT, type QueueAdminPort } from '../willow.port';
import { CreateQueueBody, UpdateQueueBody } from './dto/queue.body';
import { QueueResponse } from './dto/queue.response';
import { RequireScope, visibleQueues } from '../../platform/http/require-scope';

@ApiTags('queues')
@Controller('v1/queues')
export class QueuesController {
  constructor(@Inject(QUEUE_ADMIN_PORT) private readonly admin: QueueAdminPort) {}

  /** Create a queue. */
  @Post()
  @ApiErrors({ 409: ['ALREADY_EXISTS'], ...STORE_ERRORS })
  @RequireScope('queues:admin', { queue: 'body' })
  async create(@Body() body: CreateQueueBody): Promise<QueueResponse> {
    return QueueResponse.from(await this.admin.createQueue(body.toCommand()));
  }

  /** List queues by name, with their real counts: those the caller's key may see. */
  @Get()
  @ApiPageResponse(QueueResponse)
  @ApiErrors({})
  @RequireScope('queues:read', { listsQueues: true })
  async list(@Query() page: PageQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<QueueResponse[]> {
    // Willow-Next-Cursor is the unfiltered page's: a page may hold fewer than Limit queues (even none) while more remain.
    const visible = visibleQueues(req);
    return sendPage(res, await this.admin.listQueues(page.toPageRequest()), QueueResponse.from).filter((queue) => visible(queue.Name));
  }

  /** One queue with its real counts. */
  @Get(':Name')
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'] })
  @RequireScope('queues:read')
  async get(@Param('Name') name: string): Promise<QueueResponse> {
    return QueueResponse.from(await this.admin.getQueue(name));
  }

  /** Change MaxItems, Paused or both (an absent field keeps its value); resuming serves waiting dequeues at once. */
  @Put(':Name')
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'], ...STORE_ERRORS })
  @RequireScope('queues:admin')
  async update(@Param('Name') name: string, @Body() body: UpdateQueueBody): Promise<QueueResponse> {
    return QueueResponse.from(await this.admin.updateQueue(body.toCommand(name)));
  }

  /** Delete a queue: waiting dequeues end with 410, processing items are dropped and their counters freed. */
  @Delete(':Name')
  @HttpCode(204)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'], ...STORE_ERRORS })
  @RequireScope('queues:admin')
  async remove(@Param('Name') name: string): Promise<void> {
    await this.admin.deleteQueue(name);
  }
}
