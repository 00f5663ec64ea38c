import type { AuthStore, StoredKey } from '../../src/auth/auth.store';
import { generateKey, hashKey } from '../../src/auth/domain/key-material';
import type { FixtureFactory, Fixture } from './support/fixture';

const T0 = Date.parse('2030-01-01T00:00:00Z');

export function storedKey(name: string, overrides: Partial<StoredKey> = {}): StoredKey & { key: string } {
  const key = generateKey();
  return { key, name, hash: hashKey(key), scopes: ['queues:produce', 'queues:read'], queues: ['ci-*'], createdAt: T0, ...overrides };
}

const strip = ({ key: _key, ...stored }: StoredKey & { key: string }): StoredKey => stored;

/** The AuthStore contract, run against every store (STYLE.md §0.5). */
export function describeAuthStore(label: string, make: FixtureFactory<AuthStore>, opts: { durable?: boolean } = {}): void {
  describe(`AuthStore [${label}]`, () => {
    let fx: Fixture<AuthStore>;
    beforeEach(async () => {
      fx = await make();
    });
    afterEach(() => fx.dispose());

    it('finds a created key by its hash, with its scopes and queue patterns', async () => {
      const ci = storedKey('ci');
      expect(await fx.sut.create(strip(ci))).toBe(true);
      expect(await fx.sut.findByHash(ci.hash)).toEqual(strip(ci));
      expect(await fx.sut.findByHash(hashKey(generateKey()))).toBeNull();
    });

    it('keeps null queue patterns apart from patterns', async () => {
      const ops = storedKey('ops', { scopes: ['admin'], queues: null });
      await fx.sut.create(strip(ops));
      expect(await fx.sut.findByHash(ops.hash)).toEqual(strip(ops));
    });

    it('refuses a second key of the same name, leaving the first', async () => {
      const first = storedKey('ci');
      await fx.sut.create(strip(first));
      const second = storedKey('ci');
      expect(await fx.sut.create(strip(second))).toBe(false);
      expect(await fx.sut.findByHash(second.hash)).toBeNull();
      expect(await fx.sut.findByHash(first.hash)).not.toBeNull();
    });

    it('lists keys by name in code-point order, page after page', async () => {
      for (const name of ['b', 'a', 'Z', 'é', 'c']) await fx.sut.create(strip(storedKey(name)));
      const first = await fx.sut.list(null, 3);
      expect(first.map((k) => k.name)).toEqual(['Z', 'a', 'b']);
      expect((await fx.sut.list('b', 10)).map((k) => k.name)).toEqual(['c', 'é']);
    });

    it('revokes a key by name once: it is found no more, and a second revoke finds nothing', async () => {
      const ci = storedKey('ci');
      await fx.sut.create(strip(ci));
      expect(await fx.sut.revoke('ci')).toBe(true);
      expect(await fx.sut.findByHash(ci.hash)).toBeNull();
      expect(await fx.sut.revoke('ci')).toBe(false);
      expect(await fx.sut.create(strip(storedKey('ci')))).toBe(true);
    });

    if (opts.durable) {
      it('keeps keys and revocations across a restart', async () => {
        const kept = storedKey('kept');
        const gone = storedKey('gone');
        await fx.sut.create(strip(kept));
        await fx.sut.create(strip(gone));
        await fx.sut.revoke('gone');
        const reopened = await fx.reopen!();
        expect(await reopened.findByHash(kept.hash)).toEqual(strip(kept));
        expect(await reopened.findByHash(gone.hash)).toBeNull();
      });
    }
  });
}
