import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RemoteDomainError } from '../../common/errors';
import { AbortOnClose } from '../../platform/http/abort-on-close';
import { ApiErrors, STORE_ERRORS } from '../../platform/http/api-errors';
import { QueryBody } from '../../platform/http/dto/query.body';
import { ApiPageResponse, sendPage } from '../../platform/http/list-response';
import { WILLOW_PORT, type DequeueCommand, type WillowPort } from '../willow.port';
import { AckBatchBody, AckBody, AttemptBody } from './dto/ack.body';
import { DequeueBatchBody, DequeueBody } from './dto/dequeue.body';
import { EnqueueBatchBody, EnqueueBody } from './dto/enqueue.body';
import { ItemResponse, ItemSummaryResponse } from './dto/inspect.response';
import { ItemListingQuery } from './dto/item-listing.query';
import {
  AckBatchResponse,
  AckResultResponse,
  DeliveryResponse,
  DequeueBatchResponse,
  EnqueueBatchResponse,
  EnqueueResponse,
  ExpiresAtResponse,
} from './dto/item.response';
import { RequireScope } from '../../platform/http/require-scope';

/** A dequeue may ask the Limiter (another process in a split deployment) before handing an item out. */
const DEQUEUE_ERRORS = { 404: ['QUEUE_NOT_FOUND'], 410: ['QUEUE_DELETED'], 503: ['DEPENDENCY_UNAVAILABLE', 'SHUTTING_DOWN'], 507: ['STORAGE_FULL'] };

@ApiTags('items')
@Controller('v1/queues/:Name/items')
export class ItemsController {
  constructor(@Inject(WILLOW_PORT) private readonly willow: WillowPort) {}

  /** Enqueue an item: collapses into the channel's updateable last waiting item (200) or is appended (201). */
  @Post()
  @ApiCreatedResponse({ type: EnqueueResponse, description: 'Appended to its channel (`Collapsed: false`).' })
  @ApiOkResponse({ type: EnqueueResponse, description: "Replaced the channel's updateable last waiting item in place (`Collapsed: true`, its ID)." })
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'], 409: ['QUEUE_FULL'], ...STORE_ERRORS })
  @RequireScope('queues:produce')
  async enqueue(@Param('Name') queue: string, @Body() body: EnqueueBody, @Res({ passthrough: true }) res: Response): Promise<EnqueueResponse> {
    const [result] = await this.willow.enqueue(queue, [body.toCommand()]);
    res.status(result.collapsed ? 200 : 201);
    return EnqueueResponse.from(result);
  }

  /** Enqueue 1-1000 items in one transaction, collapsing as if sent one by one. */
  @Post('batch')
  @HttpCode(200)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'], 409: ['QUEUE_FULL'], ...STORE_ERRORS })
  @RequireScope('queues:produce')
  async enqueueBatch(@Param('Name') queue: string, @Body() body: EnqueueBatchBody): Promise<EnqueueBatchResponse> {
    const results = await this.willow.enqueue(queue, body.toCommand());
    return { Results: results.map(EnqueueResponse.from) };
  }

  /** Take the next matching item (waiting up to Wait); 204 when none came in time. */
  @Post('dequeue')
  @HttpCode(200)
  @ApiOkResponse({ type: DeliveryResponse, description: 'The item, now processing under a lease.' })
  @ApiNoContentResponse({ description: 'Nothing could be handed out within Wait' })
  @ApiErrors(DEQUEUE_ERRORS)
  @RequireScope('queues:consume', { waits: true })
  async dequeue(
    @Param('Name') queue: string,
    @Body() body: DequeueBody,
    @AbortOnClose() signal: AbortSignal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string | undefined> {
    const [delivery] = await this.handOut(body.toCommand(queue), signal);
    if (!delivery) return void res.status(204);
    res.type('json');
    return DeliveryResponse.json(delivery);
  }

  /** Take up to Count matching items as soon as at least one can be handed out; 204 after Wait. */
  @Post('dequeue-batch')
  @HttpCode(200)
  @ApiOkResponse({ type: DequeueBatchResponse, description: '1 to Count items, now processing under leases.' })
  @ApiNoContentResponse({ description: 'Nothing could be handed out within Wait' })
  @ApiErrors(DEQUEUE_ERRORS)
  @RequireScope('queues:consume', { waits: true })
  async dequeueBatch(
    @Param('Name') queue: string,
    @Body() body: DequeueBatchBody,
    @AbortOnClose() signal: AbortSignal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string | undefined> {
    const deliveries = await this.handOut(body.toCommand(queue), signal);
    if (deliveries.length === 0) return void res.status(204);
    res.type('json');
    return DequeueBatchResponse.json(deliveries);
  }

  /** Acknowledge 1-1000 items; each is judged on its own and every accepted ack is committed together. */
  @Post('ack-batch')
  @HttpCode(200)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'], ...STORE_ERRORS })
  @RequireScope('queues:consume')
  async ackBatch(@Param('Name') queue: string, @Body() body: AckBatchBody): Promise<AckBatchResponse> {
    const outcomes = await this.willow.ack(queue, body.toCommand());
    return { Results: outcomes.map(AckResultResponse.from) };
  }

  /** Renew a processing item's lease by its Timeout. */
  @Post(':ID/heartbeat')
  @HttpCode(200)
  @ApiErrors({ 404: ['ITEM_NOT_FOUND'], 409: ['LEASE_LOST'], ...STORE_ERRORS })
  @RequireScope('queues:consume')
  async heartbeat(@Param('Name') queue: string, @Param('ID') id: string, @Body() body: AttemptBody): Promise<ExpiresAtResponse> {
    const { expiresAt } = await this.willow.heartbeat({ queue, id, attempt: body.attempt() });
    return { ExpiresAt: expiresAt };
  }

  /** Acknowledge a processing item: Passed removes it; a failure retries it or makes it a dead letter. */
  @Post(':ID/ack')
  @HttpCode(200)
  @ApiErrors({ 404: ['ITEM_NOT_FOUND', 'QUEUE_NOT_FOUND'], 409: ['LEASE_LOST'], ...STORE_ERRORS })
  @RequireScope('queues:consume')
  async ack(@Param('Name') queue: string, @Param('ID') id: string, @Body() body: AckBody): Promise<AckResultResponse> {
    const [outcome] = await this.willow.ack(queue, [body.toCommand(id)]);
    // The ack was judged by the service: answer its own error (same code, message and details).
    if (!outcome.ok) throw new RemoteDomainError(outcome.code, outcome.message, outcome.details);
    return AckResultResponse.from(outcome);
  }

  /** List the waiting and processing items of the channels matching a Query, by arrival, without Data. */
  @Post('query')
  @HttpCode(200)
  @ApiPageResponse(ItemSummaryResponse)
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND'] })
  @RequireScope('queues:read')
  async query(
    @Param('Name') queue: string,
    @Body() body: QueryBody,
    @Query() listing: ItemListingQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ItemSummaryResponse[]> {
    return sendPage(res, await this.willow.listItems(listing.toCommand(queue, body.toQuery())), ItemSummaryResponse.from);
  }

  /** Look up a waiting or processing item: its state, deliveries so far and place in its channel's line. */
  @Get(':ID')
  @ApiOkResponse({ type: ItemResponse, description: 'The item; `Position` while waiting, `ExpiresAt` while processing.' })
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND', 'ITEM_NOT_FOUND'] })
  @RequireScope('queues:consume')
  async inspect(@Param('Name') queue: string, @Param('ID') id: string): Promise<ItemResponse> {
    return ItemResponse.from(await this.willow.inspect(queue, id));
  }

  /** Cancel a waiting or processing item; a processing item's counter is freed and its holder gets LEASE_LOST. */
  @Delete(':ID')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Cancelled: removed, not a dead letter.' })
  @ApiErrors({ 404: ['QUEUE_NOT_FOUND', 'ITEM_NOT_FOUND'], ...STORE_ERRORS })
  @RequireScope('queues:admin')
  async cancel(@Param('Name') queue: string, @Param('ID') id: string): Promise<void> {
    await this.willow.cancel(queue, id);
  }

  private async handOut(cmd: DequeueCommand, signal: AbortSignal) {
    const deliveries = await this.willow.dequeue(cmd, signal);
    if (deliveries.length > 0 && signal.aborted) {
      // The consumer left before its answer: nothing is lost, the items go back first in line.
      await this.willow.giveBack(cmd.queue, deliveries);
      return [];
    }
    return deliveries;
  }
}
