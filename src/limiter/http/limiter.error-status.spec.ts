import { HttpStatus } from '@nestjs/common';
import { kernelErrorStatus } from '../../platform/http/kernel.error-status';
import { LimitReachedError, OverrideNotFoundError, RuleNotFoundError } from '../domain/limiter.errors';
import { limiterErrorStatus } from './limiter.error-status';

describe('limiterErrorStatus', () => {
  it('answers 409 for LIMIT_REACHED and 404 for unknown rules and overrides', () => {
    expect(limiterErrorStatus).toEqual({ LIMIT_REACHED: HttpStatus.CONFLICT, RULE_NOT_FOUND: HttpStatus.NOT_FOUND, OVERRIDE_NOT_FOUND: HttpStatus.NOT_FOUND });
  });

  it('shares no code with the kernel', () => {
    expect(Object.keys(limiterErrorStatus).filter((code) => Object.hasOwn(kernelErrorStatus, code))).toEqual([]);
  });

  it('carries the LIMIT_REACHED details of DESIGN §6, with Override only when one decided', () => {
    const byRule = new LimitReachedError({ rule: 'r', override: null, limit: 1, count: 1 });
    expect([byRule.code, byRule.details]).toEqual(['LIMIT_REACHED', { Rule: 'r', Limit: 1, Count: 1 }]);
    const byOverride = new LimitReachedError({ rule: 'r', override: 'o', limit: 0, count: 0 });
    expect(byOverride.details).toEqual({ Rule: 'r', Override: 'o', Limit: 0, Count: 0 });
    expect(byOverride.message).toMatch(/override "o" of rule "r" allows nothing/);
    expect(new RuleNotFoundError('r').details).toEqual({ Rule: 'r' });
    expect(new OverrideNotFoundError('r', 'o').details).toEqual({ Rule: 'r', Override: 'o' });
  });
});
