import { evaluate, fits, type EnforcedLimit, type LimitPlan } from './limit-plan';

function limit(rule: string, override: string | null, value: number): EnforcedLimit {
  return { limitId: 1, groupKey: '{}', rule, override, groupBy: ['k'], keyValues: { k: 1 }, limit: value };
}

describe('evaluate', () => {
  it('fits when -1, or when count + n stays within a positive limit', () => {
    expect([fits(-1, 1e9, 1e9), fits(0, 0, 1), fits(3, 2, 1), fits(3, 2, 2), fits(3, 5, 1)]).toEqual([true, false, true, false, false]);
  });

  it('allows only when every enforced limit fits, reporting the first refusal in plan order', () => {
    const plan: LimitPlan = { touched: [], enforced: [limit('a', null, 5), limit('b', 'x', 2), limit('b', 'y', 1)] };
    const verdict = evaluate(plan, [1, 2, 1], 1);
    expect(verdict.allowed).toBe(false);
    expect(verdict.checks.map((c) => c.allowed)).toEqual([true, false, false]);
    expect(verdict.refusal).toMatchObject({ rule: 'b', override: 'x', count: 2, limit: 2 });
    expect(evaluate(plan, [0, 0, 0], 1)).toMatchObject({ allowed: true, refusal: null });
  });

  it('allows anything when no limit is enforced', () => {
    expect(evaluate({ touched: [], enforced: [] }, [], 1e9).allowed).toBe(true);
  });

  it('refuses to judge without one count per limit', () => {
    expect(() => evaluate({ touched: [], enforced: [limit('a', null, 1)] }, [], 1)).toThrow(RangeError);
  });
});
