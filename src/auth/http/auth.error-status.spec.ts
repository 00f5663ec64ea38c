import { HttpStatus } from '@nestjs/common';
import { kernelErrorStatus } from '../../platform/http/kernel.error-status';
import { errorExample } from '../../platform/http/error-examples';
import { ForbiddenError, KeyNotFoundError, RateLimitedError } from '../domain/auth.errors';
import { authErrorStatus } from './auth.error-status';

describe('authErrorStatus', () => {
  it('answers 403, 429 and 404; UNAUTHENTICATED is the kernel\'s 401', () => {
    expect(authErrorStatus).toEqual({ FORBIDDEN: HttpStatus.FORBIDDEN, RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS, KEY_NOT_FOUND: HttpStatus.NOT_FOUND });
    expect(kernelErrorStatus.UNAUTHENTICATED).toBe(HttpStatus.UNAUTHORIZED);
  });

  it('shares no code with the kernel, and documents an example of each', () => {
    expect(Object.keys(authErrorStatus).filter((code) => Object.hasOwn(kernelErrorStatus, code))).toEqual([]);
    for (const code of [...Object.keys(authErrorStatus), 'UNAUTHENTICATED']) expect(errorExample(code)).toMatchObject({ Code: code });
  });

  it('names the missing scope (and queue), the seconds to wait, and the unknown key', () => {
    expect(new ForbiddenError('m', 'queues:produce', null).details).toEqual({ Scope: 'queues:produce' });
    expect(new ForbiddenError('m', 'queues:produce', 'ci').details).toEqual({ Scope: 'queues:produce', Queue: 'ci' });
    expect(new RateLimitedError('m', 2).details).toEqual({ RetryAfter: 2 });
    expect(new KeyNotFoundError('ci').details).toEqual({ Name: 'ci' });
  });
});
