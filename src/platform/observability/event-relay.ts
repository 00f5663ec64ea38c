import { MAX_PAYLOAD_BYTES, type ChannelDef, type PayloadCodec } from '../storage/postgres/pg-channel';
import { EVENT_TYPES, type EventType, type ObservedEvent } from './observer.port';

const KNOWN = new Set<string>(EVENT_TYPES);

/** Room left in a notification for the envelope: the sender's id (a UUID) and a space, with margin. */
const ENVELOPE_BYTES = 64;

/**
 * One event as compact JSON `{"t","q","i","k","a"}` (type, queue, id, tags, at), absent fields left out; the tags
 * written from their canonical encoding when the emitter has it.
 */
function compact(e: ObservedEvent): string {
  let json = `{"t":${JSON.stringify(e.type)}`;
  if (e.queue !== null) json += `,"q":${JSON.stringify(e.queue)}`;
  if (e.id !== null) json += `,"i":${JSON.stringify(e.id)}`;
  if (e.tags !== null) json += `,"k":${e.key ?? JSON.stringify(e.tags)}`;
  return `${json},"a":${e.at}}`;
}

function expand(value: unknown): ObservedEvent {
  const v = (value ?? {}) as { t?: unknown; q?: unknown; i?: unknown; k?: unknown; a?: unknown };
  if (typeof v.t !== 'string' || !KNOWN.has(v.t) || typeof v.a !== 'number') throw new Error('not an event');
  return {
    type: v.t as EventType,
    queue: typeof v.q === 'string' ? v.q : null,
    id: typeof v.i === 'string' ? v.i : null,
    tags: v.k !== null && typeof v.k === 'object' ? (v.k as ObservedEvent['tags']) : null,
    at: v.a,
  };
}

/** The text of each group `packEvents` made, written as it measured the group (not again when the group is sent). */
const packed = new WeakMap<readonly ObservedEvent[], string>();

/**
 * Several events per notification, as a JSON array of compact events (`packEvents` sizes the groups). A lone object
 * is read as one event: what an instance of an earlier version sends. An event whose tags do not fit in a
 * notification even alone travels without them (`shrink`): the stream then shows it without `KeyValues`.
 */
const codec: PayloadCodec<readonly ObservedEvent[]> = {
  encode: (events) => packed.get(events) ?? `[${events.map(compact).join(',')}]`,
  decode: (text) => {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(expand) : [expand(value)];
  },
  shrink: (events) => events.map((e) => ({ ...e, tags: null, key: undefined })),
};

/**
 * `events` in order, in groups that each fit one notification (a group of one may still need shrinking). Packed,
 * the events of a batch enqueue or an ack-batch cost the database a few notifications instead of one each.
 */
export function packEvents(events: readonly ObservedEvent[], capBytes = MAX_PAYLOAD_BYTES - ENVELOPE_BYTES): ReadonlyArray<readonly ObservedEvent[]> {
  const groups: ObservedEvent[][] = [];
  let group: ObservedEvent[] = [];
  let parts: string[] = [];
  let bytes = 2; // the brackets
  const close = () => {
    packed.set(group, `[${parts.join(',')}]`);
    groups.push(group);
  };
  for (const event of events) {
    const part = compact(event);
    const size = Buffer.byteLength(part, 'utf8') + 1; // and its comma
    if (group.length > 0 && bytes + size > capBytes) {
      close();
      group = [];
      parts = [];
      bytes = 2;
    }
    group.push(event);
    parts.push(part);
    bytes += size;
  }
  if (group.length > 0) close();
  return groups;
}

/**
 * The events of every instance on a PostgreSQL schema, sent just after they commit. An instance streams its own
 * events as it emits them, so it does not hear them again here (no duplicates).
 */
export const EVENT_RELAY: ChannelDef<readonly ObservedEvent[]> = { name: 'events', codec, ignoreOwn: true };
