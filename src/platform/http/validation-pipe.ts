import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { InvalidInputError } from '../../common/errors';
import { PARSED_BY, type ParserFault } from './dto/parsed-by';

/**
 * Global pipe: unknown fields are rejected (a typo never silently means "everything"), faults name their path, a
 * missing body counts as `{}` and a body that is not a JSON object is refused before validation.
 */
class WillowValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && isDtoClass(metadata.metatype)) {
      if (value === undefined || value === null || value === '') value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new InvalidInputError('', 'the request body must be a JSON object');
      }
    }
    return super.transform(value, metadata);
  }
}

function isDtoClass(metatype: unknown): boolean {
  return typeof metatype === 'function' && ![Object, Array, String, Number, Boolean].includes(metatype as never);
}

export function createValidationPipe(): ValidationPipe {
  return new WillowValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => toInvalidInput(errors),
  });
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
