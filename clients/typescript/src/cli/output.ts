/** How the CLI prints: tables for people, JSON for scripts (`--json`). */

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
      .join(',');
  }
  return String(value);
}

/** Rows under a header, columns padded to their widest cell. */
export function table(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line([...columns]), ...cells.map(line)].join('\n') + '\n';
}

/** One record as `Field  value` lines. */
export function record(value: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(value).map((k) => k.length));
  return (
    Object.entries(value)
      .map(([k, v]) => `${k.padEnd(width)}  ${k === 'Data' ? JSON.stringify(v) : cell(v)}`)
      .join('\n') + '\n'
  );
}

export interface Printer {
  readonly json: boolean;
  /** `--json`: the value as JSON; otherwise the human form `human()` builds. */
  print(value: unknown, human: () => string): void;
  /** A note for people on stderr (never mixed into --json output on stdout). */
  note(text: string): void;
}

export function printer(json: boolean): Printer {
  return {
    json,
    print: (value, human) => process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human()),
    note: (text) => process.stderr.write(text + '\n'),
  };
}
