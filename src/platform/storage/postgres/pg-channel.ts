import type { PoolClient } from 'pg';
import type { ChannelHandler } from './pg-listener';

/** What a store's transaction body receives: one connection inside BEGIN ... COMMIT. */
export type Tx = Pick<PoolClient, 'query'>;

/** NOTIFY refuses payloads of 8000 bytes or more (the server's default); this leaves room to spare. */
export const MAX_PAYLOAD_BYTES = 7_900;

/**
 * When a message leaves, stated at every call site:
 * - `inTransaction(sql)`: a NOTIFY inside the transaction, delivered when it commits (nothing if it rolls back), in
 *   commit order. The commit then waits for every other notifying commit: for writes that are not on a hot path.
 * - `afterCommit(sql)`: sent on a connection of its own just after `sql` commits (nothing if it rolls back), batched
 *   with other such messages, so writes commit together. A process that dies in between loses the message:
 *   listeners must catch up on their own.
 * - `withCommit(sql)`: as `inTransaction`, the NOTIFY sent with the COMMIT of a transaction opened by `tx()`, in one
 *   round trip (`PostgresStorage.sendWithCommit`), for a transaction that sends nothing after its message.
 * - `ALREADY_COMMITTED`: the same as `afterCommit`, for a write that committed already (a single statement outside a
 *   transaction).
 */
export type Sending = { readonly kind: 'in-transaction' | 'with-commit' | 'after-commit'; readonly sql: Tx } | { readonly kind: 'committed' };

export const inTransaction = (sql: Tx): Sending => ({ kind: 'in-transaction', sql });
export const withCommit = (sql: Tx): Sending => ({ kind: 'with-commit', sql });
export const afterCommit = (sql: Tx): Sending => ({ kind: 'after-commit', sql });
export const ALREADY_COMMITTED: Sending = { kind: 'committed' };

/** How a channel's messages are written as text and read back. */
export interface PayloadCodec<M> {
  encode(message: M): string;
  /** The message `text` encodes; throws when it cannot be read. */
  decode(text: string): M;
  /** A short message that says at least as much, sent instead of one whose payload would exceed the cap
   * (e.g. "some counter went down" instead of which one). */
  shrink(message: M): M;
}

/** A typed channel: its name (scoped to the schema by the storage), its codec, and which of its own messages an
 * instance does not hear (those it applied itself as it sent them). */
export interface ChannelDef<M> {
  readonly name: string;
  readonly codec: PayloadCodec<M>;
  readonly ignoreOwn: boolean | ((message: M) => boolean);
}

export interface ChannelListener<M> {
  message(message: M): void;
  /** False while the listener has no use for messages: they are then dropped unread (not decoded), and neither they
   * nor a payload that could not be read lead to `resync` later. Only for a listener that keeps no state built from
   * messages. Default: wanted. */
  wanted?(): boolean;
  /** Messages may have been missed (the listening connection came back, or a payload could not be read): reload. */
  resync(): void;
}

/** What the storage provides a channel: raw text payloads on a schema-scoped name. */
export interface ChannelBus {
  readonly instanceId: string;
  send(when: Sending, name: string, payloads: readonly string[]): Promise<void>;
  listen(name: string, handler: ChannelHandler): Promise<void>;
}

/** An instance id as the envelope carries it: no spaces, and never the `{` that starts a bare JSON payload. */
const SENDER = /^[\w-]+$/;

/** The payload on the wire: `<sender> <body>`, shrunk when it would exceed MAX_PAYLOAD_BYTES. */
export function encodePayload<M>(codec: PayloadCodec<M>, sender: string, message: M): string {
  if (!SENDER.test(sender)) throw new Error(`Invalid sender id for a notification: ${JSON.stringify(sender)}`);
  const payload = `${sender} ${codec.encode(message)}`;
  if (Buffer.byteLength(payload, 'utf8') <= MAX_PAYLOAD_BYTES) return payload;
  const shrunk = `${sender} ${codec.encode(codec.shrink(message))}`;
  if (Buffer.byteLength(shrunk, 'utf8') > MAX_PAYLOAD_BYTES) throw new Error(`A notification exceeds ${MAX_PAYLOAD_BYTES} bytes even shrunk`);
  return shrunk;
}

/** The sender a payload names (what precedes its first space; '' when it has none). */
function senderOf(payload: string): string {
  const space = payload.indexOf(' ');
  return space < 0 ? '' : payload.slice(0, space);
}

/** Reads a payload back; null when it is not one (another version's format, or a body the codec cannot read). */
export function decodePayload<M>(codec: PayloadCodec<M>, payload: string): { readonly sender: string; readonly message: M } | null {
  const sender = senderOf(payload);
  if (!SENDER.test(sender)) return null;
  try {
    return { sender, message: codec.decode(payload.slice(sender.length + 1)) };
  } catch {
    return null;
  }
}

/**
 * One PostgreSQL channel of typed messages, shared by every instance on the schema. Every message carries its sender,
 * so an instance can skip its own (`ChannelDef.ignoreOwn`); a payload that cannot be read counts as missed messages.
 */
export class PgChannel<M> {
  constructor(
    private readonly def: ChannelDef<M>,
    private readonly bus: ChannelBus,
  ) {}

  /** Sends `messages` (nothing when there are none) `when` the call site says; encoded, so checked, at once. */
  send(when: Sending, ...messages: M[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const payloads = messages.map((message) => encodePayload(this.def.codec, this.bus.instanceId, message));
    return this.bus.send(when, this.def.name, payloads);
  }

  /** Calls `listener` for every message, but the own ones the channel ignores; resolves once listening. */
  listen(listener: ChannelListener<M>): Promise<void> {
    return this.bus.listen(this.def.name, {
      message: (payload) => {
        if (listener.wanted?.() === false) return;
        // An own message the channel always ignores is not even read.
        if (this.def.ignoreOwn === true && senderOf(payload) === this.bus.instanceId) return;
        const read = decodePayload(this.def.codec, payload);
        if (!read) return listener.resync();
        if (read.sender === this.bus.instanceId && this.ignores(read.message)) return;
        listener.message(read.message);
      },
      resync: () => listener.resync(),
    });
  }

  private ignores(message: M): boolean {
    const { ignoreOwn } = this.def;
    return typeof ignoreOwn === 'function' ? ignoreOwn(message) : ignoreOwn;
  }
}
