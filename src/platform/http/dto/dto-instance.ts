import { InvalidInputError } from '../../../common/errors';

type DtoClass = new (...args: never[]) => object;

const nestedTypes = new WeakMap<object, Map<string, () => DtoClass>>();

/**
 * Marks a property that holds one DTO or an array of them (validated with `@ValidateNested`): the pipe builds
 * instances of `type()` from its raw objects. Every other property keeps the value exactly as the client sent it.
 */
export function NestedDto(type: () => DtoClass): PropertyDecorator {
  return (target, propertyKey) => {
    const own = nestedTypes.get(target) ?? new Map<string, () => DtoClass>();
    own.set(String(propertyKey), type);
    nestedTypes.set(target, own);
  };
}

function nestedTypeOf(metatype: DtoClass, key: string): (() => DtoClass) | undefined {
  for (let proto: object | null = metatype.prototype as object; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    const type = nestedTypes.get(proto)?.get(key);
    if (type) return type;
  }
  return undefined;
}

/**
 * An instance of `metatype` whose own properties are the raw values of `raw`, never converted: a key named
 * `constructor` or `toString` inside `Data`, `KeyValues` or a query stays an ordinary key. A top-level key named
 * like an `Object.prototype` member can never be a field (fields are PascalCase) and is refused as unknown here,
 * before it could shadow the instance's prototype.
 */
export function toDtoInstance(metatype: DtoClass, raw: Readonly<Record<string, unknown>>, path: string): object {
  const instance = Object.create(metatype.prototype as object) as object;
  for (const key of Object.keys(raw)) {
    const at = path ? `${path}.${key}` : key;
    if (key in Object.prototype || key === 'prototype') {
      throw new InvalidInputError(at, 'is not a known field; remove it (field names are PascalCase)');
    }
    const nested = nestedTypeOf(metatype, key);
    const value = nested ? toNested(nested(), raw[key], at) : raw[key];
    Object.defineProperty(instance, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return instance;
}

function toNested(type: DtoClass, value: unknown, path: string): unknown {
  const one = (v: unknown, at: string) => (isRecord(v) ? toDtoInstance(type, v, at) : v);
  return Array.isArray(value) ? value.map((v, i) => one(v, `${path}[${i}]`)) : one(value, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
