import { checkAccess, describeRefusal, matchesPattern, mayUseQueue, type Principal } from './access';

const key = (scopes: Principal['scopes'], queues: string[] | null = null): Principal => ({ name: 'ci', scopes, queues });

describe(matchesPattern.name, () => {
  it.each([
    ['ci-*', 'ci-linux', true],
    ['ci-*', 'ci-', true],
    ['ci-*', 'cd-linux', false],
    ['ci-*', 'xci-linux', false],
    ['*', 'anything at all', true],
    ['*-prod', 'web-prod', true],
    ['*-prod', 'web-prod-2', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['builds', 'builds', true],
    ['builds', 'Builds', false],
    ['b.ilds', 'builds', false],
    ['**', '', true],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(matchesPattern(pattern, name)).toBe(expected);
  });
});

describe(checkAccess.name, () => {
  it('lets admin do everything, on every queue', () => {
    expect(checkAccess(key(['admin']), { scope: 'limiter:admin', queue: null })).toBeNull();
    expect(checkAccess(key(['admin']), { scope: 'queues:produce', queue: 'prod' })).toBeNull();
  });

  it('refuses a key without the scope, naming it', () => {
    const refusal = checkAccess(key(['queues:consume', 'queues:read']), { scope: 'queues:produce', queue: 'ci' });
    expect(refusal).toEqual({ kind: 'scope', scope: 'queues:produce' });
    expect(describeRefusal('ci', refusal!)).toMatch(/Key "ci" lacks scope queues:produce/);
  });

  it('narrows queue scopes to the Queues patterns', () => {
    const sut = key(['queues:produce'], ['ci-*']);
    expect(checkAccess(sut, { scope: 'queues:produce', queue: 'ci-linux' })).toBeNull();
    expect(checkAccess(sut, { scope: 'queues:produce', queue: 'deploy' })).toEqual({ kind: 'queue', scope: 'queues:produce', queue: 'deploy' });
  });

  it('does not narrow other scopes by queue patterns', () => {
    expect(checkAccess(key(['locks'], ['ci-*']), { scope: 'locks', queue: null })).toBeNull();
  });

  it('grants no scope implicitly: queues:admin does not include produce', () => {
    expect(checkAccess(key(['queues:admin']), { scope: 'queues:produce', queue: 'ci' })).toEqual({ kind: 'scope', scope: 'queues:produce' });
  });
});

describe(mayUseQueue.name, () => {
  it('sees every queue without patterns, only matching ones with them', () => {
    expect(mayUseQueue(key(['queues:read']), 'x')).toBe(true);
    expect(mayUseQueue(key(['queues:read'], ['a*', 'b']), 'b')).toBe(true);
    expect(mayUseQueue(key(['queues:read'], ['a*', 'b']), 'bb')).toBe(false);
  });
});
