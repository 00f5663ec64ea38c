import fc from 'fast-check';
import { IndexedHeap } from './indexed-heap';

interface Member {
  readonly name: number;
  key: number;
}

const byKey = (a: Member, b: Member) => a.key < b.key;
const keys = (members: Iterable<Member>) => [...members].map((m) => m.key);
const sortedKeys = (members: Iterable<Member>) => keys(members).sort((a, b) => a - b);

/** Random operations on a small population of members; `key` is the new key for upsert and key changes. */
type Op =
  | { readonly kind: 'upsert'; readonly name: number; readonly key: number }
  | { readonly kind: 'remove'; readonly name: number }
  | { readonly kind: 'rekey'; readonly name: number; readonly key: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('upsert' as const), name: fc.nat(30), key: fc.integer({ min: -50, max: 50 }) }),
  fc.record({ kind: fc.constant('remove' as const), name: fc.nat(30) }),
  fc.record({ kind: fc.constant('rekey' as const), name: fc.nat(30), key: fc.integer({ min: -50, max: 50 }) }),
);

describe(IndexedHeap.name, () => {
  it('peeks the smallest member and yields every member in ascending order', () => {
    const sut = new IndexedHeap<Member>(byKey);
    const members = [5, 3, 9, 1, 7].map((key, name) => ({ name, key }));
    members.forEach((m) => sut.upsert(m));
    expect(sut.size).toBe(5);
    expect(sut.peek()?.key).toBe(1);
    expect(keys(sut.ascending())).toEqual([1, 3, 5, 7, 9]);
    // ascending() leaves the heap as it was.
    expect(sut.size).toBe(5);
    expect(sut.peek()?.key).toBe(1);
  });

  it('is empty at first: no peek, nothing ascending, remove reports false', () => {
    const sut = new IndexedHeap<Member>(byKey);
    expect(sut.size).toBe(0);
    expect(sut.peek()).toBeUndefined();
    expect([...sut.ascending()]).toEqual([]);
    expect(sut.remove({ name: 1, key: 1 })).toBe(false);
  });

  it('moves a member whose key changed when it is upserted again, up or down', () => {
    const sut = new IndexedHeap<Member>(byKey);
    const [a, b, c] = [10, 20, 30].map((key, name) => ({ name, key }));
    [a, b, c].forEach((m) => sut.upsert(m));
    c.key = 5;
    sut.upsert(c);
    expect(sut.peek()).toBe(c);
    expect(sut.size).toBe(3);
    c.key = 40;
    sut.upsert(c);
    expect(sut.peek()).toBe(a);
    expect([...sut.ascending()]).toEqual([a, b, c]);
  });

  it('removes a member from the middle, keeping the rest in order, and knows what it holds', () => {
    const sut = new IndexedHeap<Member>(byKey);
    const members = Array.from({ length: 8 }, (_, i) => ({ name: i, key: (i * 5) % 8 }));
    members.forEach((m) => sut.upsert(m));
    expect(sut.remove(members[3])).toBe(true);
    expect(sut.remove(members[3])).toBe(false);
    expect(sut.has(members[3])).toBe(false);
    expect(sut.has(members[4])).toBe(true);
    expect(keys(sut.ascending())).toEqual(sortedKeys(members.filter((_, i) => i !== 3)));
  });

  it('agrees with a sorted array under random upserts, removals and key changes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200, size: 'max' }), (ops) => {
        const sut = new IndexedHeap<Member>(byKey);
        const population = new Map<number, Member>();
        const model = new Set<Member>();
        const member = (name: number) => {
          let m = population.get(name);
          if (!m) population.set(name, (m = { name, key: 0 }));
          return m;
        };
        for (const o of ops) {
          const m = member(o.name);
          switch (o.kind) {
            case 'upsert':
              m.key = o.key;
              sut.upsert(m);
              model.add(m);
              break;
            case 'remove': {
              const removed = sut.remove(m);
              if (removed !== model.delete(m)) expect(removed).toBe(!removed);
              break;
            }
            case 'rekey':
              // Only a member's owner changes its key, and it re-files it at once (as QueueIndex does).
              if (!model.has(m)) break;
              m.key = o.key;
              sut.upsert(m);
              break;
          }
          // Plain comparisons per step (expect() on every step would dominate the run time).
          const actual = { size: sut.size, min: sut.peek()?.key, held: [...population.values()].map((x) => sut.has(x)) };
          const expected = { size: model.size, min: sortedKeys(model)[0], held: [...population.values()].map((x) => model.has(x)) };
          if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
        }
        const drained: number[] = [];
        for (let top = sut.peek(); top; top = sut.peek()) {
          drained.push(top.key);
          sut.remove(top);
        }
        expect(drained).toEqual(sortedKeys(model));
      }),
      { numRuns: 300 },
    );
  });

  it('yields ascending order equal to the sorted members for any heap shape', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 100, size: 'max' }), fc.array(fc.nat(99), { maxLength: 50, size: 'max' }), (ks, removals) => {
        const sut = new IndexedHeap<Member>(byKey);
        const members = ks.map((key, name) => ({ name, key }));
        members.forEach((m) => sut.upsert(m));
        const removed = new Set(removals.filter((i) => i < members.length).map((i) => members[i]));
        removed.forEach((m) => sut.remove(m));
        const left = members.filter((m) => !removed.has(m));
        expect(keys(sut.ascending())).toEqual(sortedKeys(left));
        expect(new Set(sut.ascending())).toEqual(new Set(left));
      }),
      { numRuns: 300 },
    );
  });
});
