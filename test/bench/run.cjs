#!/usr/bin/env node
'use strict';
/**
 * Runs the benchmarks in test/bench, one after another, each in its own node process.
 *
 *   node test/bench/run.cjs                 every *.bench.cjs in test/bench
 *   node test/bench/run.cjs locker limiter  only locker.bench.cjs and limiter.bench.cjs
 *
 * Settings (environment): BENCH_SECONDS (measured seconds per scenario, default 10), BENCH_WARMUP_SECONDS (2),
 * BENCH_SYNC (WILLOW_SYNC modes, default "full,normal"). Needs a build: npm run build.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BENCH_DIR = __dirname;
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const SUFFIX = '.bench.cjs';

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts');

function newestMtime(dir, include = isSource) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, include));
    else if (include(entry.name)) {
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  }
  return newest;
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Copy dist/ to test/bench/.dist-snapshot-<pid>/ and bench that copy: `nest build` empties dist/ first, so a
 * concurrent rebuild would otherwise kill a run half-way. Node still resolves node_modules from the repo root.
 * If dist/ is mid-rebuild (main.js missing), wait for it.
 */
function snapshotDist() {
  const dist = path.dirname(MAIN);
  for (let waited = 0; !fs.existsSync(MAIN); waited += 1) {
    if (waited === 0) process.stderr.write('dist/main.js is missing (a rebuild in progress?); waiting up to 60 s...\n');
    if (waited >= 60) throw new Error('dist/main.js did not come back; run `npm run build`');
    sleepSync(1000);
  }
  // Let a build that is still writing files finish: wait until the newest file in dist/ is 2 s old.
  const newestInDist = () => {
    try {
      return newestMtime(dist, () => true);
    } catch {
      return Date.now(); // files vanished under us: a build is running
    }
  };
  for (let i = 0; i < 30 && Date.now() - newestInDist() < 2000; i++) sleepSync(500);
  const snapshot = path.join(BENCH_DIR, `.dist-snapshot-${process.pid}`);
  fs.rmSync(snapshot, { recursive: true, force: true });
  process.once('exit', () => fs.rmSync(snapshot, { recursive: true, force: true }));
  fs.cpSync(dist, snapshot, { recursive: true });
  if (!fs.existsSync(path.join(snapshot, 'main.js'))) throw new Error('dist/ changed while it was being copied; try again');
  return snapshot;
}

function main(argv) {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write('usage: node test/bench/run.cjs [name ...]   (name = file name without .bench.cjs)\n');
    return 0;
  }
  if (!fs.existsSync(MAIN)) {
    process.stderr.write(`dist/main.js not found: build the server first with \`npm run build\`, then run this again.\n`);
    return 2;
  }
  try {
    if (newestMtime(path.join(ROOT, 'src')) > fs.statSync(MAIN).mtimeMs) {
      process.stderr.write('note: src/ has changes newer than dist/main.js; run `npm run build` to bench them.\n');
    }
  } catch {
    // advisory only
  }

  const available = fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith(SUFFIX) && path.join(BENCH_DIR, f) !== __filename)
    .sort();
  let chosen = available;
  if (argv.length > 0) {
    const unknown = [];
    chosen = [];
    for (const arg of argv) {
      const base = path.basename(arg).replace(/\.bench\.cjs$/, '').replace(/\.bench$/, '');
      const file = `${base}${SUFFIX}`;
      if (available.includes(file)) {
        if (!chosen.includes(file)) chosen.push(file);
      } else unknown.push(arg);
    }
    if (unknown.length > 0) {
      const names = available.map((f) => f.slice(0, -SUFFIX.length)).join(', ') || '(none)';
      process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${names}\n`);
      return 2;
    }
  }
  if (chosen.length === 0) {
    process.stderr.write(`no *${SUFFIX} files in ${path.relative(process.cwd(), BENCH_DIR) || '.'}\n`);
    return 2;
  }

  const snapshot = snapshotDist();
  const results = [];
  const started = Date.now();
  for (const file of chosen) {
    process.stdout.write(`\n=== ${file} ===\n`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [path.join(BENCH_DIR, file)], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, BENCH_SERVER_MAIN: path.join(snapshot, 'main.js') },
    });
    const seconds = (Date.now() - t0) / 1000;
    const status = r.error ? `error: ${r.error.message}` : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    results.push({ file, ok: !r.error && r.status === 0, status, seconds });
  }

  process.stdout.write('\n=== summary ===\n');
  for (const r of results) {
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.file.padEnd(28)} ${r.seconds.toFixed(1).padStart(6)} s  ${r.ok ? '' : r.status}\n`);
  }
  process.stdout.write(`total ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
process.exitCode = main(process.argv.slice(2));
