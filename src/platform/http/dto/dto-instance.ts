import { UNKNOWN_FIELD } from '../../../common/fields';
import { InvalidInputError } from '../../../common/errors';

/**
 * A request DTO class: Swagger reads its properties, and its static `parse` is the command's one parser (in the
 * module's `domain/`), which the validation pipe calls on the client's raw values. A fault is an
 * `InvalidInputError` naming its path (`Items[3].KeyValues.os`).
 */
export interface ParsedDtoClass {
  new (...args: never[]): object;
  parse(raw: unknown, path: string): unknown;
}

/** True for a class that carries a static `parse`. */
export function isParsedDto(metatype: unknown): metatype is ParsedDtoClass {
  return typeof metatype === 'function' && typeof (metatype as Partial<ParsedDtoClass>).parse === 'function';
}

/** Where a DTO instance keeps the command its class's parser made of it (not enumerable: `{ ...dto }` omits it). */
const PARSED = Symbol('parsed');

interface Parsed {
  readonly parse: unknown;
  readonly command: unknown;
}

/**
 * An instance of `metatype` whose own properties are the raw values of `raw`, never converted: a key named
 * `constructor` or `toString` inside `Data`, `KeyValues` or a query stays an ordinary key. A top-level key named
 * like an `Object.prototype` member can never be a field (fields are PascalCase) and is refused as unknown here,
 * before it could shadow the instance's prototype. The class's parser then judges `raw` (throwing its first fault)
 * and the command it makes is kept on the instance for `commandOf`, so a request is parsed once.
 */
export function toDtoInstance(metatype: ParsedDtoClass, raw: Readonly<Record<string, unknown>>): object {
  const instance = Object.create(metatype.prototype as object) as object;
  for (const key of Object.keys(raw)) {
    if (key in Object.prototype || key === 'prototype') throw new InvalidInputError(key, UNKNOWN_FIELD);
    Object.defineProperty(instance, key, { value: raw[key], enumerable: true, writable: true, configurable: true });
  }
  const parsed: Parsed = { parse: metatype.parse, command: metatype.parse(raw, '') };
  Object.defineProperty(instance, PARSED, { value: parsed });
  return instance;
}

/** The command `parse` made of this DTO when the pipe built it, or `parse` run on its fields (a DTO built elsewhere). */
export function commandOf<T>(dto: object, parse: (raw: unknown, path: string) => T): T {
  const parsed = (dto as { [PARSED]?: Parsed })[PARSED];
  return parsed?.parse === parse ? (parsed.command as T) : parse({ ...dto }, '');
}
