'use strict';
/** Percentiles, run settings from the environment, and a plain-text results table. */

/**
 * The p-th percentile (0-100) of a latency array, nearest-rank method. Sorts a copy unless `sorted` is true.
 * Returns NaN for an empty array.
 */
function percentile(values, p, sorted = false) {
  if (!values || values.length === 0) return NaN;
  const xs = sorted ? values : Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * xs.length);
  return xs[Math.min(xs.length - 1, Math.max(0, rank - 1))];
}

/** Count, mean, min, max and p50/p90/p99/p999 of a latency array (ms). */
function summarize(values) {
  const xs = Float64Array.from(values).sort();
  let sum = 0;
  for (const x of xs) sum += x;
  return {
    count: xs.length,
    mean: xs.length ? sum / xs.length : NaN,
    min: xs.length ? xs[0] : NaN,
    max: xs.length ? xs[xs.length - 1] : NaN,
    p50: percentile(xs, 50, true),
    p90: percentile(xs, 90, true),
    p99: percentile(xs, 99, true),
    p999: percentile(xs, 99.9, true),
  };
}

/** The setting `name` as a number that passes `valid` (described by `what`), or `fallback` when unset or blank. */
function envSetting(name, fallback, valid, what) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!valid(n) || n < 0) throw new Error(`${name} must be a non-negative ${what} (got "${raw}")`);
  return n;
}

const envNumber = (name, fallback) => envSetting(name, fallback, Number.isFinite, 'number');
const envInt = (name, fallback) => envSetting(name, fallback, Number.isInteger, 'integer');

/**
 * Shared run settings: BENCH_SECONDS (measured seconds per scenario, default 10), BENCH_WARMUP_SECONDS (default 2),
 * BENCH_SYNC (comma list of WILLOW_SYNC modes to run, default "full,normal").
 */
function benchSettings() {
  const sync = (process.env.BENCH_SYNC || 'full,normal')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of sync) {
    if (s !== 'full' && s !== 'normal') throw new Error(`BENCH_SYNC must list full and/or normal (got "${s}")`);
  }
  return {
    durationMs: Math.round(envNumber('BENCH_SECONDS', 10) * 1000),
    warmupMs: Math.round(envNumber('BENCH_WARMUP_SECONDS', 2) * 1000),
    sync,
  };
}

function fmtNum(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Print a results table. Rows: { name, rate (per second), p50 (ms), p99 (ms), notes } and optionally
 * cpu (server CPU, % of one core) and rss (server RSS, MB): those columns appear when any row has them.
 */
function printTable(title, rows, out = process.stdout) {
  const withCpu = rows.some((r) => r.cpu !== undefined);
  const withRss = rows.some((r) => r.rss !== undefined);
  const header = ['name', 'rate/s', 'p50 ms', 'p99 ms'];
  const right = [false, true, true, true];
  if (withCpu) {
    header.push('srv cpu%');
    right.push(true);
  }
  if (withRss) {
    header.push('srv rss MB');
    right.push(true);
  }
  header.push('notes');
  right.push(false);
  const cells = rows.map((r) => {
    const c = [String(r.name), fmtNum(r.rate, 0), fmtNum(r.p50, r.p50 >= 100 ? 0 : 2), fmtNum(r.p99, r.p99 >= 100 ? 0 : 2)];
    if (withCpu) c.push(fmtNum(r.cpu, 0));
    if (withRss) c.push(fmtNum(r.rss, 0));
    c.push(r.notes ? String(r.notes) : '');
    return c;
  });
  printGrid(title, header, right, cells, out);
}

/** A table of text cells under `title`: columns as wide as their widest cell, right-aligned where `right[i]`. */
function printGrid(title, header, right, cells, out = process.stdout) {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c
      .map((v, i) => (right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const lines = [];
  if (title) lines.push('', title);
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), '');
  out.write(lines.join('\n') + '\n');
}

module.exports = { percentile, summarize, benchSettings, printTable, printGrid, fmtNum, envInt };
