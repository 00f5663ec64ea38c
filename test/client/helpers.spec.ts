import { ACK_ERROR_MAX_BYTES, WillowError, ackErrorText, backoffDelay, isTransient } from '@willow/client';

/** The client's pure helpers: the failed ack's Error text, backoff bounds, error classification. */
describe('client helpers', () => {
  it('turns whatever a handler threw into an ack Error of at most 4 KiB of UTF-8, cut on a character', () => {
    expect(ackErrorText(new Error('exit code 2'))).toBe('exit code 2');
    expect(ackErrorText('plain string')).toBe('plain string');
    expect(ackErrorText(42)).toBe('42');
    expect(ackErrorText(new TypeError(''))).toBe('TypeError');
    expect(ackErrorText(undefined)).toBe('undefined');
    const emoji = ackErrorText(new Error('😀'.repeat(2_000)));
    expect(Buffer.byteLength(emoji)).toBe(ACK_ERROR_MAX_BYTES);
    expect(emoji).toBe('😀'.repeat(1_024));
    const odd = ackErrorText(new Error('a' + '😀'.repeat(2_000)));
    expect(odd).toBe('a' + '😀'.repeat(1_023));
  });

  it('waits at most min(maxMs, firstMs * 2^attempt), never zero', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (let i = 0; i < 50; i++) {
        const ms = backoffDelay(attempt, { firstMs: 100, maxMs: 5_000 });
        expect(ms).toBeGreaterThanOrEqual(1);
        expect(ms).toBeLessThanOrEqual(Math.min(5_000, 100 * 2 ** attempt));
      }
    }
  });

  it('reads the server error body and calls no answer, 502-504 transient', () => {
    const error = WillowError.fromBody(400, { Code: 'INVALID_INPUT', Message: 'KeyValues.os: bad', Path: 'KeyValues.os' });
    expect(error).toMatchObject({ status: 400, code: 'INVALID_INPUT', message: 'KeyValues.os: bad', details: { Path: 'KeyValues.os' } });
    expect(WillowError.fromBody(502, 'Bad Gateway')).toMatchObject({ code: 'HTTP_502', message: 'Bad Gateway' });
    expect(isTransient(error)).toBe(false);
    expect(isTransient(WillowError.fromBody(503, { Code: 'STORE_UNAVAILABLE', Message: 'x' }))).toBe(true);
    expect(isTransient(WillowError.unreachable(new TypeError('fetch failed')))).toBe(true);
  });
});
