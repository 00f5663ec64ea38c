import type { PostgresStorage, Tx } from '../../platform/storage/postgres/postgres-storage';
import type { WillowChange } from '../willow.store';

/** The NOTIFY channel name (scoped to the schema by the storage). */
export const CHANGES = 'willow';

/** NOTIFY refuses payloads of 8000 bytes or more; a change naming more channels than fit becomes a queue change. */
const MAX_PAYLOAD_BYTES = 7_900;

/**
 * The payload announcing that `keys` of `queue` changed: compact JSON, `{"q":..,"k":[..],"o":..}` for channels
 * (`o`: the instance that wrote), `{"q":..}` for the whole queue, `{"q":..,"d":1}` for a deleted queue.
 */
export function channelsPayload(queue: string, keys: Iterable<string>, origin: string): string {
  const payload = JSON.stringify({ q: queue, k: [...new Set(keys)], o: origin });
  return Buffer.byteLength(payload, 'utf8') <= MAX_PAYLOAD_BYTES ? payload : JSON.stringify({ q: queue });
}

export function queueDeletedPayload(queue: string): string {
  return JSON.stringify({ q: queue, d: 1 });
}

/** Announces, once `sql` has committed, that these channels of `queue` changed; nothing when there are none. */
export function announceChannels(storage: PostgresStorage, sql: Tx, queue: string, keys: Iterable<string>): void {
  const unique = [...new Set(keys)];
  if (unique.length > 0) storage.announce(sql, CHANGES, channelsPayload(queue, unique, storage.instanceId));
}

/** Announces a change that has already committed (a single-statement write). */
export function publishChannels(storage: PostgresStorage, queue: string, keys: readonly string[]): void {
  storage.publish(CHANGES, channelsPayload(queue, keys, storage.instanceId));
}

/** Reads a payload back; anything unreadable asks for a full reload rather than being dropped. */
export function parseChange(payload: string): WillowChange & { readonly origin?: string } {
  try {
    const value = JSON.parse(payload) as { q?: unknown; k?: unknown; d?: unknown; o?: unknown };
    if (typeof value.q !== 'string') return { kind: 'resync' };
    if (value.d === 1) return { kind: 'queue_deleted', queue: value.q };
    if (Array.isArray(value.k) && value.k.every((k) => typeof k === 'string')) {
      const origin = typeof value.o === 'string' ? value.o : undefined;
      return { kind: 'channels', queue: value.q, keys: value.k as string[], origin };
    }
    return { kind: 'queue', queue: value.q };
  } catch {
    return { kind: 'resync' };
  }
}

/**
 * Calls `listener` for every change another instance commits, and for this instance's own queue deletions and
 * whole-queue changes (its channel changes were applied by its service as it made them); `resync` after a reconnect.
 */
export function watchChanges(storage: PostgresStorage, listener: (change: WillowChange) => void): Promise<void> {
  return storage.listen(CHANGES, {
    message: (payload) => {
      const { origin, ...change } = parseChange(payload);
      if (origin !== storage.instanceId) listener(change);
    },
    resync: () => listener({ kind: 'resync' }),
  });
}
