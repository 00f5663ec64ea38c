import { DomainError } from '../../common/errors';

export type WillowErrorCode =
  | 'QUEUE_NOT_FOUND'
  | 'ITEM_NOT_FOUND'
  | 'DEAD_LETTER_NOT_FOUND'
  | 'QUEUE_FULL'
  | 'LEASE_LOST'
  | 'QUEUE_DELETED';

export class QueueNotFoundError extends DomainError<'QUEUE_NOT_FOUND'> {
  readonly code = 'QUEUE_NOT_FOUND';
  constructor(queue: string) {
    super(`Queue "${queue}" does not exist; create it with POST /v1/queues`, { Queue: queue });
  }
}

export class ItemNotFoundError extends DomainError<'ITEM_NOT_FOUND'> {
  readonly code = 'ITEM_NOT_FOUND';
  /** `processing`: a heartbeat or ack named an item that is not being processed; `queued`: an item looked up or
   * cancelled is neither waiting nor processing. */
  constructor(queue: string, id: string, sought: 'processing' | 'queued' = 'processing') {
    super(
      sought === 'processing'
        ? `Item ${id} is not being processed in queue "${queue}" (never existed, acked, or its lease ran out)`
        : `Item ${id} is not waiting or processing in queue "${queue}" (never existed, acked, replaced, dropped or cancelled; ` +
            'dead letters are listed with GET /v1/queues/{Name}/dead-letters)',
      { ID: id },
    );
  }
}

export class DeadLetterNotFoundError extends DomainError<'DEAD_LETTER_NOT_FOUND'> {
  readonly code = 'DEAD_LETTER_NOT_FOUND';
  constructor(queue: string, id: string) {
    super(`No dead letter ${id} in queue "${queue}"; list them with GET /v1/queues/{Name}/dead-letters`, { ID: id });
  }
}

export class QueueFullError extends DomainError<'QUEUE_FULL'> {
  readonly code = 'QUEUE_FULL';
  constructor(queue: string, maxItems: number, items: number, adding: number) {
    super(
      `Queue "${queue}" holds ${items} of at most ${maxItems} items and cannot take ${adding} more; ` +
        'wait for consumers, or raise MaxItems with PUT /v1/queues/{Name}',
      { MaxItems: maxItems, Items: items },
    );
  }
}

export class LeaseLostError extends DomainError<'LEASE_LOST'> {
  readonly code = 'LEASE_LOST';
  /** `attempt`: the delivery the client named, or null when it named none. `cancelled`: the item was cancelled. */
  constructor(id: string, attempt: number | null, current: number | null, cancelled = false) {
    super(
      cancelled
        ? `Delivery ${attempt} of item ${id} was cancelled (DELETE /v1/queues/{Name}/items/{ID}); nothing was changed, stop working on it`
        : `${attempt === null ? 'The delivery' : `Delivery ${attempt}`} of item ${id} is no longer current (its lease ran out` +
            (current === null ? '' : `; the item is now at delivery ${current}`) +
            '); nothing was changed, do not act on this delivery',
      { ID: id, Attempt: attempt },
    );
  }
}

export class QueueDeletedError extends DomainError<'QUEUE_DELETED'> {
  readonly code = 'QUEUE_DELETED';
  constructor(queue: string) {
    super(`Queue "${queue}" was deleted while this request waited`, { Queue: queue });
  }
}
