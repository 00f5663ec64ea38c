import type { ChannelHandler } from './pg-listener';
import {
  afterCommit,
  ALREADY_COMMITTED,
  decodePayload,
  encodePayload,
  inTransaction,
  MAX_PAYLOAD_BYTES,
  PgChannel,
  type ChannelBus,
  type ChannelDef,
  type PayloadCodec,
  type Sending,
  type Tx,
} from './pg-channel';

type Note = { readonly kind: 'item'; readonly key: string } | { readonly kind: 'some' };

const codec: PayloadCodec<Note> = {
  encode: (note) => JSON.stringify(note),
  decode: (text) => {
    const note = JSON.parse(text) as Note;
    if (note.kind !== 'item' && note.kind !== 'some') throw new Error('not a note');
    return note;
  },
  shrink: () => ({ kind: 'some' }),
};

/** A bus that keeps what is sent and lets a test deliver payloads, as the storage would, to this instance. */
class FakeBus implements ChannelBus {
  readonly sent: Array<{ readonly when: Sending; readonly name: string; readonly payloads: readonly string[] }> = [];
  readonly handlers = new Map<string, ChannelHandler>();
  constructor(readonly instanceId: string) {}
  send(when: Sending, name: string, payloads: readonly string[]): Promise<void> {
    this.sent.push({ when, name, payloads });
    return Promise.resolve();
  }
  listen(name: string, handler: ChannelHandler): Promise<void> {
    this.handlers.set(name, handler);
    return Promise.resolve();
  }
  deliver(payload: string): void {
    for (const handler of this.handlers.values()) handler.message(payload);
  }
}

const sql = { query: jest.fn() } as unknown as Tx;

describe(PgChannel.name, () => {
  const def = (ignoreOwn: ChannelDef<Note>['ignoreOwn']): ChannelDef<Note> => ({ name: 'notes', codec, ignoreOwn });
  const listening = async (bus: FakeBus, channel: PgChannel<Note>) => {
    const heard: Array<Note | 'resync'> = [];
    await channel.listen({ message: (note) => heard.push(note), resync: () => heard.push('resync') });
    return heard;
  };

  describe('payloads', () => {
    it('round-trips a message with its sender', () => {
      const payload = encodePayload(codec, 'a1b2-c3', { kind: 'item', key: 'k ü' });
      expect(decodePayload(codec, payload)).toEqual({ sender: 'a1b2-c3', message: { kind: 'item', key: 'k ü' } });
    });

    it('shrinks a message whose payload would exceed the cap, counting bytes rather than characters', () => {
      const fits = 'x'.repeat(MAX_PAYLOAD_BYTES - 40);
      expect(decodePayload(codec, encodePayload(codec, 's', { kind: 'item', key: fits }))?.message).toEqual({ kind: 'item', key: fits });
      const tooLong = 'ü'.repeat(MAX_PAYLOAD_BYTES / 2);
      const payload = encodePayload(codec, 's', { kind: 'item', key: tooLong });
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      expect(decodePayload(codec, payload)?.message).toEqual({ kind: 'some' });
    });

    it('refuses a message too long even shrunk, rather than send what NOTIFY would reject', () => {
      const stubborn: PayloadCodec<string> = { encode: (m) => m, decode: (t) => t, shrink: (m) => m };
      expect(() => encodePayload(stubborn, 's', 'x'.repeat(MAX_PAYLOAD_BYTES))).toThrow(/exceeds/);
    });

    it.each([
      ['a bare JSON payload of another version', '{"q":"orders","k":["a b"]}'],
      ['no body', 'sender'],
      ['a body the codec cannot read', 's {"kind":"other"}'],
      ['a body that is not JSON', 's not json'],
    ])('reads nothing from %s', (_, payload) => {
      expect(decodePayload(codec, payload)).toBeNull();
    });
  });

  describe('sending', () => {
    it('encodes every message with its sender and passes the timing the call site chose', async () => {
      const bus = new FakeBus('me');
      const sut = new PgChannel(def(false), bus);
      await sut.send(inTransaction(sql), { kind: 'item', key: 'a' }, { kind: 'some' });
      await sut.send(afterCommit(sql), { kind: 'item', key: 'b' });
      await sut.send(ALREADY_COMMITTED, { kind: 'item', key: 'c' });
      expect(bus.sent).toEqual([
        { when: { kind: 'in-transaction', sql }, name: 'notes', payloads: ['me {"kind":"item","key":"a"}', 'me {"kind":"some"}'] },
        { when: { kind: 'after-commit', sql }, name: 'notes', payloads: ['me {"kind":"item","key":"b"}'] },
        { when: { kind: 'committed' }, name: 'notes', payloads: ['me {"kind":"item","key":"c"}'] },
      ]);
    });

    it('sends nothing for no messages', async () => {
      const bus = new FakeBus('me');
      await new PgChannel(def(false), bus).send(inTransaction(sql));
      expect(bus.sent).toEqual([]);
    });
  });

  describe('listening', () => {
    const from = (sender: string, note: Note) => encodePayload(codec, sender, note);

    it("hears every instance's messages when its channel ignores none", async () => {
      const bus = new FakeBus('me');
      const heard = await listening(bus, new PgChannel(def(false), bus));
      bus.deliver(from('me', { kind: 'some' }));
      bus.deliver(from('peer', { kind: 'item', key: 'a' }));
      expect(heard).toEqual([{ kind: 'some' }, { kind: 'item', key: 'a' }]);
    });

    it('skips its own messages when its channel ignores them, never a peer’s', async () => {
      const bus = new FakeBus('me');
      const heard = await listening(bus, new PgChannel(def(true), bus));
      bus.deliver(from('me', { kind: 'some' }));
      bus.deliver(from('peer', { kind: 'some' }));
      expect(heard).toEqual([{ kind: 'some' }]);
    });

    it('skips only the own messages its channel’s rule names', async () => {
      const bus = new FakeBus('me');
      const heard = await listening(bus, new PgChannel(def((note) => note.kind === 'item'), bus));
      bus.deliver(from('me', { kind: 'item', key: 'a' }));
      bus.deliver(from('me', { kind: 'some' }));
      bus.deliver(from('peer', { kind: 'item', key: 'b' }));
      expect(heard).toEqual([{ kind: 'some' }, { kind: 'item', key: 'b' }]);
    });

    it('asks for a resync for a payload it cannot read, and after its connection came back', async () => {
      const bus = new FakeBus('me');
      const heard = await listening(bus, new PgChannel(def(false), bus));
      bus.deliver('{"q":"orders"}');
      bus.handlers.get('notes')?.resync();
      expect(heard).toEqual(['resync', 'resync']);
    });

    it('drops messages unread while its listener wants none, and hears them again once it does', async () => {
      const bus = new FakeBus('me');
      const decode = jest.spyOn(codec, 'decode');
      const heard: Array<Note | 'resync'> = [];
      let wanted = false;
      await new PgChannel(def(false), bus).listen({ message: (note) => heard.push(note), wanted: () => wanted, resync: () => heard.push('resync') });
      bus.deliver(from('peer', { kind: 'item', key: 'a' }));
      bus.deliver('{"not":"readable"}');
      expect(decode).not.toHaveBeenCalled();
      wanted = true;
      bus.deliver(from('peer', { kind: 'item', key: 'b' }));
      expect(heard).toEqual([{ kind: 'item', key: 'b' }]);
      decode.mockRestore();
    });
  });
});
