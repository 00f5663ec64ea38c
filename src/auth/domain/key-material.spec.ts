import { bearerToken, generateKey, hashKey, sameHash } from './key-material';
import { parseCreateKey } from './validate-key';

describe(generateKey.name, () => {
  it('makes wk_ plus 32 random bytes in base64url, different every time', () => {
    const a = generateKey();
    expect(a).toMatch(/^wk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(3), 'base64url')).toHaveLength(32);
    expect(generateKey()).not.toBe(a);
  });

  it('stores a hash that does not contain the key', () => {
    const key = generateKey();
    expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKey(key)).not.toContain(key.slice(3, 13));
    expect(hashKey(key)).toBe(hashKey(key));
  });
});

describe(bearerToken.name, () => {
  it.each([
    ['Bearer wk_abc', 'wk_abc'],
    ['bearer   wk_abc ', 'wk_abc'],
    ['Basic dXNlcjpwYXNz', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('%s gives %s', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe(sameHash.name, () => {
  it('tells equal hashes from different ones', () => {
    expect(sameHash(hashKey('a'), hashKey('a'))).toBe(true);
    expect(sameHash(hashKey('a'), hashKey('b'))).toBe(false);
    expect(sameHash(hashKey('a'), 'short')).toBe(false);
  });
});

describe(parseCreateKey.name, () => {
  it('reads a name, scopes and optional queue patterns', () => {
    expect(parseCreateKey({ Name: 'ci', Scopes: ['queues:produce'], Queues: ['ci-*'] }, '')).toEqual({
      name: 'ci',
      scopes: ['queues:produce'],
      queues: ['ci-*'],
    });
    expect(parseCreateKey({ Name: 'ops', Scopes: ['admin'] }, '').queues).toBeNull();
  });

  it.each([
    [{ Name: 'x', Scopes: [] }, 'Scopes'],
    [{ Name: 'x', Scopes: ['root'] }, 'Scopes[0]'],
    [{ Name: 'x', Scopes: ['locks', 'locks'] }, 'Scopes[1]'],
    [{ Name: 'x', Scopes: ['admin'], Queues: ['a*'] }, 'Queues'],
    [{ Name: 'x', Scopes: ['locks'], Queues: [] }, 'Queues'],
    [{ Name: 'WILLOW_ADMIN_KEY', Scopes: ['locks'] }, 'Name'],
    [{ Name: 'x', Scopes: ['locks'], Key: 'mine' }, 'Key'],
  ])('refuses %j naming %s', (raw, path) => {
    expect(() => parseCreateKey(raw, '')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', path }));
  });
});
