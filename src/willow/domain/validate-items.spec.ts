import { InvalidInputError } from '../../common/errors';
import { placeCursor } from '../../common/page';
import { parseItemListing } from './validate-items';

describe(parseItemListing.name, () => {
  it('reads State, Limit and Cursor, each optional', () => {
    expect(parseItemListing({}, '')).toEqual({ state: null, page: { limit: 1_000, cursor: null } });
    expect(parseItemListing({ State: 'processing', Limit: '5', Cursor: Buffer.from('12').toString('base64url') }, '')).toEqual({
      state: 'processing',
      page: { limit: 5, cursor: '12' },
    });
  });

  it('refuses an unknown State or field, naming it', () => {
    expect(() => parseItemListing({ State: 'dead' }, '')).toThrow(expect.objectContaining({ details: { Path: 'State' } }));
    expect(() => parseItemListing({ Other: 1 }, '')).toThrow(InvalidInputError);
  });
});

describe(placeCursor.name, () => {
  it('reads a place and refuses anything else', () => {
    expect(placeCursor('42')).toBe(42);
    expect(() => placeCursor('x')).toThrow(InvalidInputError);
  });
});
