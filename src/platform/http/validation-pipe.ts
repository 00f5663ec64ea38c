import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { validate, type ValidationError, type ValidatorOptions } from 'class-validator';
import { InvalidInputError } from '../../common/errors';
import { PARSED_BY, type ParserFault } from './dto/parsed-by';
import { toDtoInstance } from './dto/dto-instance';

const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/**
 * Global pipe: unknown fields are rejected (a typo never silently means "everything"), faults name their path, a
 * missing body counts as `{}` and a body that is not a JSON object is refused before validation.
 *
 * What a client sent reaches the DTO unchanged: Nest's ValidationPipe deletes `constructor` and `prototype` keys
 * and class-transformer drops every key named like an `Object.prototype` member (`toString`, `valueOf`...) at any
 * depth, which silently moved items between channels. So the DTO is built from the raw values (see
 * `toDtoInstance`) and validated with class-validator directly.
 */
export class WillowValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (!isDtoClass(metatype) || (metadata.type !== 'body' && metadata.type !== 'query')) return value;
    if (value === undefined || value === null || value === '') value = {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidInputError('', `the request ${metadata.type === 'body' ? 'body' : 'query string'} must be a JSON object`);
    }
    const instance = toDtoInstance(metatype, value as Record<string, unknown>, '');
    const errors = await validate(instance, VALIDATOR_OPTIONS);
    if (errors.length > 0) throw toInvalidInput(errors);
    return instance;
  }
}

type DtoClass = new (...args: never[]) => object;

function isDtoClass(metatype: unknown): metatype is DtoClass {
  return typeof metatype === 'function' && ![Object, Array, String, Number, Boolean].includes(metatype as never);
}

export function createValidationPipe(): PipeTransform {
  return new WillowValidationPipe();
}

function toInvalidInput(errors: readonly ValidationError[]): InvalidInputError {
  const [path, message] = firstFault(errors, '');
  return new InvalidInputError(path, message);
}

function firstFault(errors: readonly ValidationError[], prefix: string): [string, string] {
  for (const error of errors) {
    const path = joinPath(prefix, error.property);
    const constraints = Object.entries(error.constraints ?? {});
    if (constraints.length > 0) {
      const [kind, text] = constraints[0];
      if (kind === PARSED_BY) {
        const fault = JSON.parse(text) as ParserFault;
        return [prefix && fault.path ? `${prefix}.${fault.path}` : fault.path || path, fault.problem];
      }
      if (kind === 'whitelistValidation') return [path, 'is not a known field; remove it (field names are PascalCase)'];
      if (kind === 'unknownValue') return [prefix, 'must be an object'];
      return [path, text.startsWith(`${error.property} `) ? text.slice(error.property.length + 1) : text];
    }
    if (error.children?.length) return firstFault(error.children, path);
  }
  return ['', 'invalid request body'];
}

function joinPath(prefix: string, property: string): string {
  if (!prefix) return property;
  return /^\d+$/.test(property) ? `${prefix}[${property}]` : `${prefix}.${property}`;
}
