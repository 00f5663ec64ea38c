import { ApiProperty } from '@nestjs/swagger';
import { commandOf } from '../http/dto/dto-instance';
import { EVENT_TYPES } from './observer.port';
import { parseEventFilter, type EventFilter } from './event-filter';

/** `?Queue=&Types=` of the event stream; judged by `parseEventFilter`. */
export class EventsQuery {
  static readonly parse = parseEventFilter;

  /** Only events of this queue (lock events have none, so they are left out); every queue's when absent. */
  @ApiProperty({ required: false })
  readonly Queue?: string;

  /** Comma-separated event types to receive; all when absent. */
  @ApiProperty({ required: false, example: 'item.enqueued,item.dead', description: `Comma-separated subset of: ${EVENT_TYPES.join(', ')}.` })
  readonly Types?: string;

  toFilter(): EventFilter {
    return commandOf(this, parseEventFilter);
  }
}
