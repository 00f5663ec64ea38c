/** An escape JSON.stringify writes that an array literal does not read alike: anything but `\"` and `\\`. */
const OTHER_ESCAPE = /\\[^"\\]/;

/**
 * `values` as a PostgreSQL array literal (`{"a","b\"c",NULL}`), the text the driver would send for the array, for a
 * parameter cast to `text[]` (or any type read from quoted text) in the statement.
 *
 * The driver escapes element by element in JavaScript, a cost per item that a batch of 100 items pays over a dozen
 * columns. JSON.stringify writes the same quoted elements in one native call whenever its only escapes are `\"` and
 * `\\`, which a quoted array element reads back alike: that holds for any text without control characters or
 * unpaired surrogates, such as a JSON document (its own escapes are escaped again). Other text is escaped as the
 * driver does it.
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
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`cannot write ${v} in an SQL array`);
    out += i === 0 ? literal(v) : `,${literal(v)}`;
  }
  return `${out}}`;
}

function literal(v: number | boolean | null): string {
  return v === null ? 'NULL' : String(v);
}
