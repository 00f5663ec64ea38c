/**
 * An escape JSON.stringify wrote that an array literal does not read alike: anything but `\"` and `\\`. It begins at
 * an odd place in a run of backslashes (the pairs before it are escaped backslashes), so `\\n` (a backslash and an n,
 * as in a JSON document's own escapes) is not one.
 */
const OTHER_ESCAPE = /(?<!\\)(?:\\\\)*\\[^"\\]/;

/**
 * `values` as a PostgreSQL array literal (`{"a","b\"c",NULL}`), the text the driver would send for the array, for a
 * parameter cast to `text[]` (or any type read from quoted text) in the statement.
 *
 * The driver escapes element by element in JavaScript, a cost per item that a batch of 100 items pays over a dozen
 * columns. JSON.stringify writes the same quoted elements in one native call whenever its only escapes are `\"` and
 * `\\`, which a quoted array element reads back alike: that holds for any text without control characters or
 * unpaired surrogates, such as a JSON document (its own escapes, `\n` or `\u00e9`, are written as `\\n`, `\\u00e9`).
 * Other text is escaped as the driver does it.
 */
export function textArray(values: ReadonlyArray<string | null>): string {
  const json = JSON.stringify(values);
  if (!OTHER_ESCAPE.test(json)) return `{${json.slice(1, -1)}}`;
  return `{${values.map(quoted).join(',')}}`;
}

/** One element as the driver writes it: NULL, or quoted with `\` and `"` escaped. */
function quoted(v: string | null): string {
  return v === null ? 'NULL' : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `values` (finite numbers, booleans, nulls) as a PostgreSQL array literal: `{1,-2,NULL}`, `{true,false}`. */
export function scalarArray(values: ReadonlyArray<number | boolean | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'boolean' && v !== null) {
      throw new RangeError(`cannot write ${String(v)} in an SQL array of numbers or booleans`);
    }
    out += i === 0 ? literal(v) : `,${literal(v)}`;
  }
  return `${out}}`;
}

function literal(v: number | boolean | null): string {
  return v === null ? 'NULL' : String(v);
}
