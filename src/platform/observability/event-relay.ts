import type { ChannelDef, PayloadCodec } from '../storage/postgres/pg-channel';
import { EVENT_TYPES, type EventType, type ObservedEvent } from './observer.port';

const KNOWN = new Set<string>(EVENT_TYPES);

/**
 * Compact JSON `{"t","q","i","k","a"}` (type, queue, id, tags, at), absent fields left out. An event whose tags do
 * not fit in one notification travels without them (`shrink`): the stream then shows it without `KeyValues`.
 */
const codec: PayloadCodec<ObservedEvent> = {
  encode: (e) =>
    JSON.stringify({ t: e.type, ...(e.queue !== null && { q: e.queue }), ...(e.id !== null && { i: e.id }), ...(e.tags !== null && { k: e.tags }), a: e.at }),
  decode: (text) => {
    const v = JSON.parse(text) as { t?: unknown; q?: unknown; i?: unknown; k?: unknown; a?: unknown };
    if (typeof v.t !== 'string' || !KNOWN.has(v.t) || typeof v.a !== 'number') throw new Error('not an event');
    return {
      type: v.t as EventType,
      queue: typeof v.q === 'string' ? v.q : null,
      id: typeof v.i === 'string' ? v.i : null,
      tags: v.k !== null && typeof v.k === 'object' ? (v.k as ObservedEvent['tags']) : null,
      at: v.a,
    };
  },
  shrink: (e) => ({ ...e, tags: null }),
};

/**
 * The events of every instance on a PostgreSQL schema, sent just after they commit. An instance streams its own
 * events as it emits them, so it does not hear them again here (no duplicates).
 */
export const EVENT_RELAY: ChannelDef<ObservedEvent> = { name: 'events', codec, ignoreOwn: true };
