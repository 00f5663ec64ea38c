import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { InvalidInputError } from '../../common/errors';
import { parseDuration } from '../../common/duration';
import { optional, parseBatch, parseBoolean, readFields } from '../../common/fields';
import { fieldPath } from '../../common/names';
import { parseTags, type Tags } from '../../common/tags';
import { commandOf } from './dto/dto-instance';
import { createValidationPipe } from './validation-pipe';

const parseItem = (raw: unknown, path: string) => {
  const f = readFields(raw, path, ['KeyValues', 'Updateable']);
  return { tags: parseTags(f.KeyValues, fieldPath(path, 'KeyValues')), updateable: optional(f.Updateable, true, (v) => parseBoolean(v, fieldPath(path, 'Updateable'))) };
};

class ItemBody {
  readonly KeyValues!: Tags;
  readonly Updateable?: boolean;
}

/** Shaped like a module's acquire body: required tags, an optional duration. */
class LeaseBody {
  static readonly parse = (raw: unknown, path: string) => {
    const f = readFields(raw, path, ['KeyValues', 'Timeout']);
    parseTags(f.KeyValues, fieldPath(path, 'KeyValues'));
    return optional(f.Timeout, 0, (v) => parseDuration(v, fieldPath(path, 'Timeout'), { minMs: 100, maxMs: 86_400_000 }));
  };
  readonly KeyValues!: Tags;
  readonly Timeout?: number | string;
}

class BatchBody {
  static readonly parse = (raw: unknown, path: string) => {
    const f = readFields(raw, path, ['Items', 'Note']);
    return parseBatch(f.Items, fieldPath(path, 'Items'), { noun: 'items', max: 10 }, parseItem);
  };
  readonly Items!: ItemBody[];
  readonly Note?: string;
}

class NoParserBody {
  readonly Name?: string;
}

describe('createValidationPipe', () => {
  let sut: PipeTransform;
  beforeEach(() => {
    sut = createValidationPipe();
  });

  const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });
  const fault = async (value: unknown, metatype: ArgumentMetadata['metatype'] = BatchBody): Promise<InvalidInputError> => {
    try {
      await sut.transform(value, body(metatype));
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      return error as InvalidInputError;
    }
    throw new Error('expected INVALID_INPUT');
  };
  const item = (keyValues: unknown) => ({ KeyValues: keyValues });

  it('transforms a valid body into its DTO class, holding the raw values', async () => {
    const value = await sut.transform({ Items: [item({ os: 'linux' })] }, body(BatchBody));
    expect(value).toBeInstanceOf(BatchBody);
    expect((value as BatchBody).Items).toEqual([{ KeyValues: { os: 'linux' } }]);
  });

  it('parses a request once: the command the pipe made is what the DTO hands its controller', async () => {
    const parse = jest.fn(BatchBody.parse);
    class CountedBody extends BatchBody {
      static override readonly parse = parse;
    }
    const value = (await sut.transform({ Items: [item({ os: 'linux' })] }, body(CountedBody))) as CountedBody;
    expect(commandOf(value, parse)).toBe(parse.mock.results[0].value);
    expect(parse).toHaveBeenCalledTimes(1);
    // A DTO the pipe did not build (or read with another parser) is parsed from its fields.
    expect(commandOf(value, BatchBody.parse)).toEqual(parse.mock.results[0].value);
    expect(commandOf(Object.assign(new BatchBody(), { Items: [item({ os: 'mac' })] }), BatchBody.parse)).toEqual([{ tags: { os: 'mac' }, updateable: true }]);
  });

  it('refuses to serve a DTO class without a parser (a programming error, caught by any test of its route)', async () => {
    await expect(sut.transform({}, body(NoParserBody))).rejects.toThrow(/NoParserBody has no static parse/);
  });

  it('names the nested path of a parser fault: Items[3].KeyValues.os', async () => {
    const items = [item({ os: 'a' }), item({ os: 'b' }), item({ os: 'c' }), item({ os: null })];
    const error = await fault({ Items: items });
    expect(error.path).toBe('Items[3].KeyValues.os');
    expect(error.message).toMatch(/^Items\[3\]\.KeyValues\.os: /);
    expect(error.details).toEqual({ Path: 'Items[3].KeyValues.os' });
  });

  it('names the nested path of a boolean fault without repeating the property', async () => {
    const error = await fault({ Items: [item({ os: 'a' }), { KeyValues: { os: 'b' }, Updateable: 'yes' }] });
    expect(error.path).toBe('Items[1].Updateable');
    expect(error.problem).toBe('must be a boolean value');
  });

  it('rejects an unknown field, nested or not, naming it', async () => {
    expect((await fault({ Items: [], Selections: {} })).path).toBe('Selections');
    const nested = await fault({ Items: [item({ os: 'a' }), item({ os: 'b' }), { ...item({ os: 'c' }), Keyvalues: {} }] });
    expect(nested.path).toBe('Items[2].Keyvalues');
    expect(nested.problem).toMatch(/not a known field/);
  });

  it('hands nested values over exactly as sent, keys named like Object.prototype members included', async () => {
    const keyValues = { os: 'linux', constructor: 'x', toString: 1, valueOf: true, hasOwnProperty: 'y', prototype: 'z' };
    const value = (await sut.transform({ Items: [item(keyValues)] }, body(BatchBody))) as BatchBody;
    expect(value.Items[0].KeyValues).toEqual(keyValues);
    expect(Object.keys(value.Items[0].KeyValues)).toEqual(Object.keys(keyValues));
  });

  it.each(['constructor', 'toString', 'prototype'])('refuses a top-level field named %s as unknown', async (name) => {
    const error = await fault({ Items: [], [name]: 'x' });
    expect(error.path).toBe(name);
    expect(error.problem).toMatch(/not a known field/);
  });

  it('names the top-level field for a fault of the array itself', async () => {
    const error = await fault({ Items: 'not a list' });
    expect(error.path).toBe('Items');
  });

  it('treats a missing body as {} and reports the first required field', async () => {
    expect((await fault(undefined, LeaseBody)).path).toBe('KeyValues');
    expect((await fault('', LeaseBody)).path).toBe('KeyValues');
  });

  it.each([
    ['an array', [1, 2]],
    ['a number', 42],
    ['a string', 'text'],
    ['true', true],
  ])('refuses %s as a body before validation', async (_, value) => {
    const error = await fault(value);
    expect(error.path).toBe('');
    expect(error.message).toBe('the request body must be a JSON object');
  });

  it('names the path of a fault of a top-level parsed field (KeyValues.os, Timeout)', async () => {
    expect((await fault({ KeyValues: { os: [] } }, LeaseBody)).path).toBe('KeyValues.os');
    expect((await fault({ KeyValues: { os: 'linux' }, Timeout: '1 fortnight' }, LeaseBody)).path).toBe('Timeout');
  });

  it('leaves route parameters and primitive arguments alone', async () => {
    await expect(sut.transform('lk_123', { type: 'param', metatype: String, data: 'LockID' })).resolves.toBe('lk_123');
    await expect(sut.transform(undefined, { type: 'query', metatype: String, data: 'SessionID' })).resolves.toBeUndefined();
  });
});
