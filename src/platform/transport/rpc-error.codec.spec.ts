import { TimeoutError } from 'rxjs';
import { decodeRpcError } from './rpc-error.codec';

describe(decodeRpcError.name, () => {
  it('rebuilds a {Message, Code, ...details} body into a DomainError with the same code and details', () => {
    const error = decodeRpcError({ Message: 'Limit reached', Code: 'LIMIT_REACHED', Rule: 'r', Limit: 1, Count: 1 }, 'limiter', 5_000);
    expect(error).toMatchObject({ code: 'LIMIT_REACHED', message: 'Limit reached', details: { Rule: 'r', Limit: 1, Count: 1 } });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })],
    ['a lost connection', new Error('Connection closed')],
    ['a peer without the handler', 'There is no matching message handler defined in the remote service.'],
    ['a reply timeout', new TimeoutError()],
  ])('turns %s into DEPENDENCY_UNAVAILABLE naming the port', (_label, cause) => {
    const error = decodeRpcError(cause, 'limiter', 5_000);
    expect(error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', details: { Dependency: 'limiter' } });
    expect(error.message).toMatch(/^limiter is unreachable/);
  });
});
