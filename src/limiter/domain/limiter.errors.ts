import { DomainError } from '../../common/errors';

export type LimiterErrorCode = 'LIMIT_REACHED' | 'RULE_NOT_FOUND' | 'OVERRIDE_NOT_FOUND';

/** The limit that refused an increment, as the 409 body names it. */
export interface Refusal {
  readonly rule: string;
  readonly override: string | null;
  readonly limit: number;
  readonly count: number;
}

export class LimitReachedError extends DomainError<'LIMIT_REACHED'> {
  readonly code = 'LIMIT_REACHED';
  constructor(refusal: Refusal) {
    const by = refusal.override === null ? `rule "${refusal.rule}"` : `override "${refusal.override}" of rule "${refusal.rule}"`;
    const allows = refusal.limit === 0 ? 'allows nothing' : `allows ${refusal.limit} and already counts ${refusal.count}`;
    super(
      `Limit reached: ${by} ${allows}; decrement a counter in this group or raise the Limit, then retry`,
      refusal.override === null
        ? { Rule: refusal.rule, Limit: refusal.limit, Count: refusal.count }
        : { Rule: refusal.rule, Override: refusal.override, Limit: refusal.limit, Count: refusal.count },
    );
  }
}

export class RuleNotFoundError extends DomainError<'RULE_NOT_FOUND'> {
  readonly code = 'RULE_NOT_FOUND';
  constructor(rule: string) {
    super(`No rule named "${rule}"; list rules with GET /v1/limiter/rules or create it with POST /v1/limiter/rules`, {
      Rule: rule,
    });
  }
}

export class OverrideNotFoundError extends DomainError<'OVERRIDE_NOT_FOUND'> {
  readonly code = 'OVERRIDE_NOT_FOUND';
  constructor(rule: string, override: string) {
    super(`Rule "${rule}" has no override named "${override}"; list them with GET /v1/limiter/rules/{Name}/overrides`, {
      Rule: rule,
      Override: override,
    });
  }
}
