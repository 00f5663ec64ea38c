import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses } from '../http/api-errors';
import { RequireScope } from '../http/require-scope';
import { EventStreams } from './event-streams';
import { EventsQuery } from './events.query';

@ApiTags('observability')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly streams: EventStreams) {}

  /** Stream live events as Server-Sent Events (no replay; a heartbeat comment every 15 s). */
  @Get()
  @ApiOkResponse({
    description:
      'A `text/event-stream`: each event is one `data:` line holding `{Type, Queue?, ID?, KeyValues?, At}`. A client ' +
      'that falls more than `WILLOW_EVENTS_BUFFER` (10000) events behind gets a last `event: overflow` and the stream ends.',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'data: {"Type":"item.enqueued","Queue":"builds","ID":"it_…","KeyValues":{"os":"linux"},"At":"2026-12-06T09:00:00.000Z"}\n\n' } } },
  })
  @ApiErrorResponses({ 400: ['INVALID_INPUT'] })
  @RequireScope('events')
  stream(@Query() query: EventsQuery, @Res() res: Response): void {
    this.streams.start(res, query.toFilter());
  }
}
