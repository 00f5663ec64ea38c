import { freedBy, limitGroup } from './capacity';
import { canonicalTags, type Tags } from './tags';

describe('capacity', () => {
  const refusedBy: Tags = { repo: 'w', branch: 'f' };
  const frees = (freed: Tags) => {
    const group = limitGroup(freed, Object.keys(refusedBy));
    return group !== null && canonicalTags(group) === canonicalTags(refusedBy);
  };

  it('gives room to a limit whose key values the freed counter holds, whatever else it holds', () => {
    expect(frees({ repo: 'w', branch: 'f', os: 'mac' })).toBe(true);
    expect(frees({ branch: 'f', repo: 'w' })).toBe(true);
  });

  it('gives no room to a limit of another group, or one over a key the counter lacks', () => {
    expect(frees({ repo: 'w', branch: 'g' })).toBe(false);
    expect(frees({ repo: 'w' })).toBe(false);
    expect(frees({ repo: 'w', branch: 'F' })).toBe(false);
  });

  it('compares values by type', () => {
    expect(limitGroup({ n: 1 }, ['n'])).toEqual({ n: 1 });
    expect(canonicalTags(limitGroup({ n: 1 }, ['n'])!)).not.toBe(canonicalTags({ n: '1' }));
  });

  it('frees capacity only when a counter went down', () => {
    expect(freedBy(refusedBy, { previous: 3, counters: 2 })).toEqual({ tags: refusedBy });
    expect(freedBy(refusedBy, { previous: 2, counters: 2 })).toBeNull();
  });
});
