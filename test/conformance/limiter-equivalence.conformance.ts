import fc from 'fast-check';
import type { TagValue, Tags } from '../../src/common/tags';
import { codeOf, openLimiter, type LimiterUnderTest } from '../support/limiter-harness';
import { ReferenceLimiter } from '../support/limiter-reference';
import type { LimiterStoreFixture } from './limiter-store.conformance';

type CounterOp = { kind: 'inc' | 'dec' | 'set' | 'explain'; tags: Tags; n: number };
type Op =
  | CounterOp
  | { kind: 'burst'; ops: CounterOp[] }
  | { kind: 'createRule'; name: string; groupBy: string[]; limit: number }
  | { kind: 'updateRule'; name: string; limit: number }
  | { kind: 'deleteRule'; name: string }
  | { kind: 'createOverride'; rule: string; name: string; keyValues: Tags; limit: number }
  | { kind: 'updateOverride'; rule: string; name: string; limit: number }
  | { kind: 'deleteOverride'; rule: string; name: string };

const key = fc.constantFrom('a', 'b', 'c', '_q');
const value = fc.constantFrom<TagValue>(1, '1', 'x');
const tags: fc.Arbitrary<Tags> = fc
  .uniqueArray(key, { minLength: 1, maxLength: 4 })
  .chain((keys) => fc.tuple(...keys.map(() => value)).map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))));
const limit = fc.constantFrom(-1, 0, 1, 2, 3, 5);
const ruleName = fc.constantFrom('r1', 'r2', 'r3', 'r4');
const overrideName = fc.constantFrom('o1', 'o2', 'o3');
const writeOp: fc.Arbitrary<CounterOp> = fc.oneof(
  fc.record({ kind: fc.constant('inc' as const), tags, n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('dec' as const), tags, n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('set' as const), tags, n: fc.integer({ min: 0, max: 4 }) }),
);
const counterOp: fc.Arbitrary<CounterOp> = fc.oneof(
  { arbitrary: writeOp, weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('explain' as const), tags, n: fc.integer({ min: 1, max: 3 }) }), weight: 1 },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: counterOp, weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant('burst' as const), ops: fc.array(writeOp, { minLength: 2, maxLength: 8 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('createRule' as const), name: ruleName, groupBy: fc.uniqueArray(key, { minLength: 1, maxLength: 3 }), limit }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('updateRule' as const), name: ruleName, limit }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deleteRule' as const), name: ruleName }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('createOverride' as const), rule: ruleName, name: overrideName, keyValues: tags, limit }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('updateOverride' as const), rule: ruleName, name: overrideName, limit }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deleteOverride' as const), rule: ruleName, name: overrideName }), weight: 1 },
);

/** Runs `op` on the real Limiter: its result, or the code it was refused with. */
async function real(sut: LimiterUnderTest, op: Op, ordered: boolean): Promise<unknown> {
  switch (op.kind) {
    case 'inc':
      return sut.port.tryIncrement({ tags: op.tags, counters: op.n });
    case 'dec':
      return sut.port.decrement({ tags: op.tags, counters: op.n });
    case 'set':
      return sut.port.set({ tags: op.tags, counters: op.n });
    case 'explain':
      return sut.port.explain({ tags: op.tags, counters: op.n });
    case 'burst':
      // Writes issued together share commits and must apply in the order they were called. (Explain reads only
      // committed state, so it is left out of bursts.) A shared store promises no order among concurrent calls, so
      // there the burst runs one write after the other; its races are tested on their own.
      if (ordered) return Promise.all(op.ops.map((o) => real(sut, o, ordered)));
      return op.ops.reduce<Promise<unknown[]>>(async (done, o) => [...(await done), await real(sut, o, ordered)], Promise.resolve([]));
    case 'createRule':
      return codeOf(sut.admin.createRule(op));
    case 'updateRule':
      return codeOf(sut.admin.updateRuleLimit(op));
    case 'deleteRule':
      return codeOf(sut.admin.deleteRule(op));
    case 'createOverride':
      return codeOf(sut.admin.createOverride(op));
    case 'updateOverride':
      return codeOf(sut.admin.updateOverrideLimit(op));
    case 'deleteOverride':
      return codeOf(sut.admin.deleteOverride(op));
  }
}

/** Runs `op` on the reference. */
function expected(ref: ReferenceLimiter, op: Op): unknown {
  const code = (fn: () => void) => {
    try {
      fn();
      return 'OK';
    } catch (error) {
      return (error as { code: string }).code;
    }
  };
  switch (op.kind) {
    case 'inc':
      return ref.tryIncrement(op.tags, op.n);
    case 'dec':
      return ref.decrement(op.tags, op.n);
    case 'set':
      return ref.set(op.tags, op.n);
    case 'explain':
      return ref.explain(op.tags, op.n);
    case 'burst':
      return op.ops.map((o) => expected(ref, o));
    case 'createRule':
      return code(() => ref.createRule(op.name, op.groupBy, op.limit));
    case 'updateRule':
      return code(() => ref.updateRule(op.name, op.limit));
    case 'deleteRule':
      return code(() => ref.deleteRule(op.name));
    case 'createOverride':
      return code(() => ref.createOverride(op.rule, op.name, op.keyValues, op.limit));
    case 'updateOverride':
      return code(() => ref.updateOverride(op.rule, op.name, op.limit));
    case 'deleteOverride':
      return code(() => ref.deleteOverride(op.rule, op.name));
  }
}

/**
 * The indexed Limiter (rule cache + per-limit aggregates in the store) answers exactly like a naive one that
 * recomputes every count from every counter, whatever rules, overrides and counters come and go in between.
 */
export function describeLimiterEquivalence(make: () => Promise<LimiterStoreFixture>, numRuns: number, ordered: boolean): void {
  it('answers every operation like a naive reference that recomputes counts from all counters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const fx = await make();
        try {
          const sut = await openLimiter(fx.store);
          const ref = new ReferenceLimiter();
          for (const o of ops) {
            const result = await real(sut, o, ordered);
            expect({ op: o, result }).toEqual({ op: o, result: expected(ref, o) });
          }
          const counters = (await sut.port.listCounters({}, { limit: 10_000, cursor: null })).items;
          expect(counters).toEqual(ref.listCounters());
          for (const c of counters) expect(await sut.port.explain({ tags: c.tags, counters: 1 })).toEqual(ref.explain(c.tags, 1));
        } finally {
          await fx.dispose();
        }
      }),
      { numRuns },
    );
  });
}
