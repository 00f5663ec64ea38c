import { InvalidArgumentError } from 'commander';

/** `key=value` (repeatable) into a tag set; values are strings. */
export function collectTag(raw: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = raw.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got "${raw}"`);
  return { ...previous, [raw.slice(0, at)]: raw.slice(at + 1) };
}

export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`not JSON: ${raw} (quote strings: '"text"')`);
  }
}

export function parseInteger(raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw new InvalidArgumentError(`not an integer: "${raw}"`);
  return Number(raw);
}

/** A duration: milliseconds or a number with a unit, passed to the server as given. */
export function parseDuration(raw: string): number | string {
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(raw)) return raw;
  throw new InvalidArgumentError(`not a duration: "${raw}" (e.g. 500ms, 30s, 5m, 2d)`);
}

export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** `Name=<json>` (repeatable) into extra body fields, e.g. `--field Priority=5 --field Delay='"5m"'`. */
export function collectField(raw: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = raw.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected Name=<json>, got "${raw}"`);
  return { ...previous, [raw.slice(0, at)]: parseJson(raw.slice(at + 1)) };
}
