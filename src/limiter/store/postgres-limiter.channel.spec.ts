import { decodePayload, encodePayload, MAX_PAYLOAD_BYTES } from '../../platform/storage/postgres/pg-channel';
import { LIMITER_NOTES, type LimiterNote } from './postgres-limiter.channel';

describe('LIMITER_NOTES', () => {
  const roundTrip = (note: LimiterNote) => decodePayload(LIMITER_NOTES.codec, encodePayload(LIMITER_NOTES.codec, 'me', note))?.message;

  it.each<LimiterNote>([{ freed: '{"tenant":"a"}' }, { freed: null }, { rules: 7 }])('reads back %j', (note) => {
    expect(roundTrip(note)).toEqual(note);
  });

  it('sends a freed key too long for a notification as "some counter went down"', () => {
    expect(roundTrip({ freed: JSON.stringify({ k: 'x'.repeat(MAX_PAYLOAD_BYTES) }) })).toEqual({ freed: null });
  });

  it('reads nothing from a note of another shape', () => {
    expect(decodePayload(LIMITER_NOTES.codec, 'me {"from":"x"}')).toBeNull();
  });
});
