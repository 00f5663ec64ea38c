import { registerDecorator, type ValidationArguments } from 'class-validator';
import { InvalidInputError } from '../../../common/errors';

/** Marks a ValidationError constraint produced by a kernel parser; its message carries the parser's own path. */
export const PARSED_BY = 'parsedBy';

export interface ParserFault {
  readonly path: string;
  readonly problem: string;
}

/**
 * Validates a property with a kernel parser (`parseTags`, `parseDuration`, `parseQuery`...), so HTTP and RPC
 * callers are judged by the same code and the fault names its exact path (`KeyValues.os`, `Query.Where.os.$gt`).
 */
export function ParsedBy(parse: (value: unknown, path: string) => unknown, opts: { optional?: boolean } = {}): PropertyDecorator {
  return (target, propertyKey) => {
    registerDecorator({
      name: PARSED_BY,
      target: target.constructor,
      propertyName: String(propertyKey),
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          (opts.optional && value === undefined) || fault(parse, value, args.property) === null,
        defaultMessage: (args?: ValidationArguments) =>
          JSON.stringify(fault(parse, args?.value, args?.property ?? String(propertyKey)) ?? { path: '', problem: 'is invalid' }),
      },
    });
  };
}

function fault(parse: (value: unknown, path: string) => unknown, value: unknown, path: string): ParserFault | null {
  try {
    parse(value, path);
    return null;
  } catch (error) {
    if (error instanceof InvalidInputError) return { path: error.path, problem: error.problem };
    throw error;
  }
}
