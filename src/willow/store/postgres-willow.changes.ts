import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import type { WillowChange } from '../willow.store';

/** The NOTIFY channel name (scoped to the schema by the storage). */
export const CHANGES = 'willow';

/** NOTIFY refuses payloads of 8000 bytes or more; a change naming more channels than fit becomes a queue change. */
const MAX_PAYLOAD_BYTES = 7_900;

/**
 * The payload announcing that `keys` of `queue` changed: compact JSON, `{"q":..,"k":[..]}` for channels,
 * `{"q":..}` for the whole queue, `{"q":..,"d":1}` for a deleted queue.
 */
export function channelsPayload(queue: string, keys: Iterable<string>): string {
  const payload = JSON.stringify({ q: queue, k: [...new Set(keys)] });
  return Buffer.byteLength(payload, 'utf8') <= MAX_PAYLOAD_BYTES ? payload : JSON.stringify({ q: queue });
}

export function queueDeletedPayload(queue: string): string {
  return JSON.stringify({ q: queue, d: 1 });
}

/** Announces, when `sql` commits, that these channels of `queue` changed; nothing when there are none. */
export async function notifyChannels(storage: PostgresStorage, sql: Tx, queue: string, keys: Iterable<string>): Promise<void> {
  const unique = [...new Set(keys)];
  if (unique.length > 0) await storage.notify(sql, CHANGES, channelsPayload(queue, unique));
}

/** Reads a payload back; anything unreadable asks for a full reload rather than being dropped. */
export function parseChange(payload: string): WillowChange {
  try {
    const value = JSON.parse(payload) as { q?: unknown; k?: unknown; d?: unknown };
    if (typeof value.q !== 'string') return { kind: 'resync' };
    if (value.d === 1) return { kind: 'queue_deleted', queue: value.q };
    if (Array.isArray(value.k) && value.k.every((k) => typeof k === 'string')) {
      return { kind: 'channels', queue: value.q, keys: value.k as string[] };
    }
    return { kind: 'queue', queue: value.q };
  } catch {
    return { kind: 'resync' };
  }
}

/** Calls `listener` for every change any instance commits (this one included); `resync` after a reconnect. */
export function watchChanges(storage: PostgresStorage, listener: (change: WillowChange) => void): Promise<void> {
  return storage.listen(CHANGES, {
    message: (payload) => listener(parseChange(payload)),
    resync: () => listener({ kind: 'resync' }),
  });
}
