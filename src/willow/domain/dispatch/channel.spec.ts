import { parseQuery } from '../../../common/query';
import { View, joinedView, leftView } from './channel';

const view = (n: number) => new View(`{"n":${n}}`, parseQuery({}));

describe('joinedView and leftView', () => {
  const [a, b, c] = [view(1), view(2), view(3)];

  it('return a new list and leave the old one alone (a channel may be iterating it)', () => {
    const one = joinedView([], a);
    const two = joinedView(one, b);
    expect(one).toEqual([a]);
    expect(two).toEqual([a, b]);
    const left = leftView(two, a);
    expect(left).toEqual([b]);
    expect(two).toEqual([a, b]);
  });

  it('take out only the view named, wherever it is', () => {
    expect(leftView([a, b, c], b)).toEqual([a, c]);
    expect(leftView([a, b, c], c)).toEqual([a, b]);
  });

  it('share one empty list once no view is left, and keep a list without the view as it is', () => {
    const empty = leftView([a], a);
    expect(empty).toEqual([]);
    expect(leftView([b], b)).toBe(empty);
    const list = [a, b];
    expect(leftView(list, c)).toBe(list);
  });
});
