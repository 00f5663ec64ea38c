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

/**
 * An instance of `metatype` whose own properties are the raw values of `raw`, never converted: a key named
 * `constructor` or `toString` inside `Data`, `KeyValues` or a query stays an ordinary key. A top-level key named
 * like an `Object.prototype` member can never be a field (fields are PascalCase) and is refused as unknown here,
 * before it could shadow the instance's prototype.
 */
export function toDtoInstance(metatype: ParsedDtoClass, raw: Readonly<Record<string, unknown>>): object {
  const instance = Object.create(metatype.prototype as object) as object;
  for (const key of Object.keys(raw)) {
    if (key in Object.prototype || key === 'prototype') throw new InvalidInputError(key, UNKNOWN_FIELD);
    Object.defineProperty(instance, key, { value: raw[key], enumerable: true, writable: true, configurable: true });
  }
  return instance;
}
