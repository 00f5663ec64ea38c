import { checkSession, isExpired, type HeldLock } from './lease';

describe('lease', () => {
  const lock: HeldLock = {
    key: '{"a":1}',
    lockId: 'lk_a',
    sessionId: 'ss_holder',
    fencingToken: 7,
    timeoutMs: 1_000,
    expiresAt: 10_000,
  };

  describe(isExpired.name, () => {
    it('is live before expiresAt and over at expiresAt exactly', () => {
      expect(isExpired(lock, 0)).toBe(false);
      expect(isExpired(lock, 9_999)).toBe(false);
      expect(isExpired(lock, 10_000)).toBe(true);
      expect(isExpired(lock, 10_001)).toBe(true);
    });
  });

  describe(checkSession.name, () => {
    it('accepts the holder while its lease is live', () => {
      expect(checkSession(lock, 'ss_holder', 9_999)).toEqual({ ok: true });
    });

    it('refuses the holder from the instant its lease runs out', () => {
      expect(checkSession(lock, 'ss_holder', 10_000)).toEqual({ ok: false, reason: 'lease ran out' });
    });

    it('refuses another session as the wrong session, whether or not the lease is live', () => {
      expect(checkSession(lock, 'ss_other', 0)).toEqual({ ok: false, reason: 'wrong session' });
      expect(checkSession(lock, 'ss_other', 20_000)).toEqual({ ok: false, reason: 'wrong session' });
    });

    it('compares session ids exactly', () => {
      expect(checkSession(lock, 'SS_HOLDER', 0)).toEqual({ ok: false, reason: 'wrong session' });
      expect(checkSession(lock, 'ss_holder ', 0)).toEqual({ ok: false, reason: 'wrong session' });
    });
  });
});
