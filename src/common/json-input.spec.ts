import { InvalidInputError } from './errors';
import { MAX_JSON_DEPTH } from './json-depth';
import { findJsonFault } from './json-input';

function faultOf(value: unknown): InvalidInputError {
  const fault = findJsonFault(value, MAX_JSON_DEPTH);
  expect(fault).toBeInstanceOf(InvalidInputError);
  return fault as InvalidInputError;
}

describe(`${findJsonFault.name}: what cannot be stored as sent`, () => {
  it('accepts ordinary JSON, including keys named like Object.prototype members', () => {
    const body = JSON.parse('{"KeyValues": {"constructor": "x", "toString": 1, "valueOf": true, "hasOwnProperty": "y"}, "Data": [1, -2.5, "s", null, {"prototype": {}}]}') as unknown;
    expect(findJsonFault(body, MAX_JSON_DEPTH)).toBeNull();
  });

  it.each([
    ['a top-level key', '{"__proto__": {"polluted": true}}', '__proto__'],
    ['a key in KeyValues', '{"KeyValues": {"os": "linux", "__proto__": "x"}}', 'KeyValues.__proto__'],
    ['a key deep in Data', '{"Data": {"a": [0, {"__proto__": 1}]}}', 'Data.a[1].__proto__'],
    ['a key in a batch item', '{"Items": [{"KeyValues": {"a": 1}}, {"Data": {"__proto__": null}}]}', 'Items[1].Data.__proto__'],
  ])('refuses "__proto__" as %s, naming its path', (_name, json, path) => {
    const error = faultOf(JSON.parse(json));
    expect(error.path).toBe(path);
    expect(error.problem).toMatch(/__proto__/);
  });

  it.each([
    ['in Data', '{"Data": 1e400}', 'Data'],
    ['negative, in an array', '{"Data": {"n": [1, -1e400]}}', 'Data.n[1]'],
    ['as a tag value', '{"KeyValues": {"cpu": 1e999}}', 'KeyValues.cpu'],
  ])('refuses a number JSON cannot hold %s, naming its path', (_name, json, path) => {
    const error = faultOf(JSON.parse(json));
    expect(error.path).toBe(path);
    expect(error.problem).toMatch(/too large/);
  });

  it('names the root when the whole body is such a number', () => {
    expect(faultOf(JSON.parse('1e400')).path).toBe('');
  });

  it('reports a body nested too deeply before any other fault in it', () => {
    const deep = JSON.parse(`{"__proto__": 1, "n": 1e400, "a": ${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`) as unknown;
    expect(findJsonFault(deep, MAX_JSON_DEPTH)).toBe('too-deep');
  });
});
