import { escapeLiteral } from 'pg';
import { InvalidInputError } from '../../../common/errors';

/**
 * `text` with each placeholder `$n` replaced by `params[n - 1]` written as a literal, for a statement sent in a simple
 * (multi-statement) query, which takes no parameters. Only for SQL whose text holds `$` nowhere but in its placeholders.
 * Strings are quoted by the driver's `escapeLiteral`; an array becomes `ARRAY[...]`, so its placeholder needs a cast
 * in the SQL (`$2::text[]`) for an empty one to have a type. A string holding a NUL character is refused as the
 * database refuses it as a parameter (INVALID_INPUT, see pg-errors): PostgreSQL's text cannot hold one, and written
 * into a statement it would cut the message short, which the server answers as a broken connection.
 */
export function inlineParams(text: string, params: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= params.length) throw new RangeError(`no value for placeholder $${n}`);
    return literal(params[index]);
  });
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new InvalidInputError('', 'the request holds a value the store cannot hold (a NUL character in a text); remove it');
    return escapeLiteral(value);
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(', ')}]`;
  throw new TypeError(`cannot write ${typeof value} as an SQL literal`);
}
