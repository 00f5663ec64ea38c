import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { InvalidInputError } from '../../common/errors';
import { isParsedDto, toDtoInstance } from './dto/dto-instance';

/**
 * Global pipe: a body or query DTO is judged by its command's one parser (the DTO class's static `parse`, from the
 * module's `domain/`), whose `InvalidInputError` names the first fault's path (`Items[3].KeyValues.os`). Unknown
 * fields are rejected by name, a missing body counts as `{}` and a body that is not a JSON object is refused first.
 *
 * What a client sent reaches the DTO unchanged: the DTO is built from the raw values (see `toDtoInstance`), never
 * converted, so keys named like `Object.prototype` members stay ordinary keys.
 */
export class WillowValidationPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if ((metadata.type !== 'body' && metadata.type !== 'query') || !isDtoClass(metatype)) return value;
    if (!isParsedDto(metatype)) throw new TypeError(`${metatype.name} has no static parse; give the DTO its command's parser`);
    if (value === undefined || value === null || value === '') value = {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidInputError('', `the request ${metadata.type === 'body' ? 'body' : 'query string'} must be a JSON object`);
    }
    return toDtoInstance(metatype, value as Record<string, unknown>);
  }
}

function isDtoClass(metatype: unknown): metatype is new (...args: never[]) => object {
  return typeof metatype === 'function' && ![Object, Array, String, Number, Boolean].includes(metatype as never);
}

export function createValidationPipe(): PipeTransform {
  return new WillowValidationPipe();
}
