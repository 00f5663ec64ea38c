import { InvalidInputError } from '../../common/errors';
import { readFields } from '../../common/fields';
import { EVENT_TYPES, type EventType, type ObservedEvent } from './observer.port';

/** Which events a stream client asked for: null means any. */
export interface EventFilter {
  readonly queue: string | null;
  readonly types: ReadonlySet<EventType> | null;
}

const KNOWN = new Set<string>(EVENT_TYPES);

/** `?Queue=` and `?Types=a,b` (comma-separated, blanks ignored); an unknown type is INVALID_INPUT naming it. */
export function parseEventFilter(raw: unknown): EventFilter {
  const fields = readFields(raw, '', ['Queue', 'Types']);
  const queue = fields.Queue === undefined ? null : text(fields.Queue, 'Queue');
  if (queue === '') throw new InvalidInputError('Queue', 'must not be empty; leave it out to receive the events of every queue');
  if (fields.Types === undefined) return { queue, types: null };
  const names = text(fields.Types, 'Types').split(',').map((t) => t.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidInputError('Types', `must name at least one event type: ${EVENT_TYPES.join(', ')}`);
  const unknown = names.find((name) => !KNOWN.has(name));
  if (unknown !== undefined) {
    throw new InvalidInputError('Types', `unknown event type "${unknown}"; known types: ${EVENT_TYPES.join(', ')}`);
  }
  return { queue, types: new Set(names as EventType[]) };
}

function text(raw: unknown, path: string): string {
  if (typeof raw !== 'string') throw new InvalidInputError(path, 'must be given once, as text');
  return raw;
}

/** Whether `event` passes `filter`: its type is asked for, and it belongs to the queue asked for (if any). */
export function passes(filter: EventFilter, event: ObservedEvent): boolean {
  if (filter.types !== null && !filter.types.has(event.type)) return false;
  return filter.queue === null || event.queue === filter.queue;
}

/** The wire form of an event: PascalCase fields, absent ones left out, `At` in ISO-8601. */
export function eventBody(event: ObservedEvent): Record<string, unknown> {
  return {
    Type: event.type,
    ...(event.queue !== null && { Queue: event.queue }),
    ...(event.id !== null && { ID: event.id }),
    ...(event.tags !== null && { KeyValues: event.tags }),
    At: new Date(event.at).toISOString(),
  };
}

/** The last `At` written, and its ISO text: the events of one commit share their millisecond. The same for the
 * queue, which the events of one request share. */
let lastAt = NaN;
let lastIso = '';
let lastQueue = '';
let lastQueueJson = '""';

/**
 * `JSON.stringify(eventBody(event))`, built directly (tags from their canonical encoding when the event has it): one
 * string per event on the hot path of every stream.
 */
export function eventJson(event: ObservedEvent): string {
  if (event.at !== lastAt) {
    lastAt = event.at;
    lastIso = new Date(event.at).toISOString();
  }
  let json = `{"Type":"${event.type}"`;
  if (event.queue !== null) {
    if (event.queue !== lastQueue) {
      lastQueue = event.queue;
      lastQueueJson = JSON.stringify(event.queue);
    }
    json += `,"Queue":${lastQueueJson}`;
  }
  if (event.id !== null) json += `,"ID":${JSON.stringify(event.id)}`;
  if (event.tags !== null) json += `,"KeyValues":${event.key ?? JSON.stringify(event.tags)}`;
  return `${json},"At":"${lastIso}"}`;
}
