import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses } from '../http/api-errors';
import { RequireScope } from '../http/require-scope';
import { WillowMetrics } from './willow-metrics';

@ApiTags('observability')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: WillowMetrics) {}

  /** Prometheus metrics of this process, in the text exposition format. */
  @Get()
  @ApiOkResponse({
    description: 'Every metric the README lists, plus the default process metrics.',
    content: { 'text/plain': { schema: { type: 'string', example: 'willow_queue_items{queue="builds",state="waiting"} 3\n' } } },
  })
  @ApiErrorResponses({ 503: ['STORE_UNAVAILABLE'] })
  @RequireScope('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    const text = await this.metrics.render();
    // Set as is: Express's `type` would add a charset Prometheus does not expect.
    res.setHeader('Content-Type', this.metrics.contentType);
    res.end(text);
  }
}
