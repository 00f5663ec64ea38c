#!/usr/bin/env node
'use strict';
/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof` or the inspector Profiler): self time by function+url, self time
 * by package (node_modules/<pkg>, dist/<module>, node internals, native), and inclusive time of the server's own
 * functions (dist/), and native self time (SQLite statements, socket writes...) by JS caller. Time of a sample = the
 * gap to the next sample; the profiler samples wall-clock time on the main thread, so time blocked in a native call
 * (e.g. an fsync inside COMMIT) counts as that call's self time.
 *
 *   node test/bench/lib/cpuprofile.cjs <file.cpuprofile>... [--top N]   (several files are summed)
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');

function shortUrl(url) {
  if (!url) return '';
  let u = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const nm = u.lastIndexOf('/node_modules/');
  if (nm !== -1) return u.slice(nm + 1);
  const snap = /\/test\/bench\/\.dist-snapshot-\d+\//.exec(u);
  if (snap) return `dist/${u.slice(snap.index + snap[0].length)}`;
  if (u.startsWith(ROOT + '/')) u = u.slice(ROOT.length + 1);
  return u;
}

function packageOf(frame) {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith('(')) return functionName; // (program) (idle) (garbage collector) (root)
    return '(native: builtins, C++ bindings e.g. better-sqlite3)';
  }
  const u = shortUrl(url);
  if (u.startsWith('node_modules/')) {
    const parts = u.split('/');
    return parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1];
  }
  if (u.startsWith('node:')) return 'node: internals';
  if (u.startsWith('dist/')) return `dist/${u.split('/')[1].replace(/\.js$/, '')}`;
  return u;
}

function keyOf(frame) {
  const name = frame.functionName || '(anonymous)';
  const u = shortUrl(frame.url);
  return u ? `${name}  ${u}:${frame.lineNumber + 1}` : name;
}

/**
 * @returns {{totalMs:number, idleMs:number, gcMs:number, programMs:number, self:Array<[string,number]>,
 *   packages:Array<[string,number]>, inclusive:Array<[string,number]>, nativeByCaller:Array<[string,number]>}}
 *   times in ms, sorted descending
 */
function summariseProfile(files) {
  const acc = {
    total: 0,
    idle: 0,
    gc: 0,
    program: 0,
    self: new Map(),
    packages: new Map(),
    inclusive: new Map(),
    nativeByCaller: new Map(),
  };
  for (const file of Array.isArray(files) ? files : [files]) addProfile(acc, file);
  const sorted = (m) => [...m.entries()].map(([k, v]) => [k, v / 1000]).sort((a, b) => b[1] - a[1]);
  return {
    totalMs: acc.total / 1000,
    idleMs: acc.idle / 1000,
    gcMs: acc.gc / 1000,
    programMs: acc.program / 1000,
    self: sorted(acc.self),
    packages: sorted(acc.packages),
    inclusive: sorted(acc.inclusive),
    nativeByCaller: sorted(acc.nativeByCaller),
  };
}

function addProfile(acc, file) {
  const profile = typeof file === 'string' ? JSON.parse(fs.readFileSync(file, 'utf8')) : file;
  const nodes = new Map();
  const parent = new Map();
  for (const n of profile.nodes) nodes.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const selfByNode = new Map();
  const { samples, timeDeltas } = profile;
  const mean = samples.length > 1 ? (profile.endTime - profile.startTime) / samples.length : 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : mean;
    selfByNode.set(samples[i], (selfByNode.get(samples[i]) || 0) + dt);
    acc.total += dt;
  }
  const bump = (m, k, us) => m.set(k, (m.get(k) || 0) + us);
  for (const [id, us] of selfByNode) {
    const frame = nodes.get(id).callFrame;
    bump(acc.self, keyOf(frame), us);
    bump(acc.packages, packageOf(frame), us);
    if (frame.functionName === '(idle)') acc.idle += us;
    if (frame.functionName === '(garbage collector)') acc.gc += us;
    if (frame.functionName === '(program)') acc.program += us;
    // Native calls (e.g. better-sqlite3 Statement.run/get/all: SQLite work incl. fsync waits) by their JS caller.
    if (!frame.url && !frame.functionName.startsWith('(') && parent.has(id)) {
      bump(acc.nativeByCaller, `${frame.functionName || '(anonymous)'}  <-  ${keyOf(nodes.get(parent.get(id)).callFrame)}`, us);
    }
    // Inclusive: every distinct server function (dist/) on this sample's stack.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = nodes.get(cur).callFrame;
      if (!f.url || !shortUrl(f.url).startsWith('dist/')) continue;
      const k = keyOf(f);
      if (seen.has(k)) continue;
      seen.add(k);
      bump(acc.inclusive, k, us);
    }
  }
}

function printProfileSummary(title, s, out = process.stdout, top = Number(process.env.BENCH_CPU_PROF_TOP || 15)) {
  const busy = s.totalMs - s.idleMs;
  const pct = (ms) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    '',
    `-- ${title}: ${(s.totalMs / 1000).toFixed(1)} s sampled, busy ${(busy / 1000).toFixed(1)} s (idle ${((s.idleMs / s.totalMs) * 100).toFixed(0)}%); % of busy time`,
    '   self time by function:',
    ...s.self.filter(([k]) => k !== '(idle)').slice(0, top).map(([k, ms]) => `   ${pct(ms)}  ${k}`),
    '   self time by package:',
    ...s.packages.filter(([k]) => k !== '(idle)').slice(0, 12).map(([k, ms]) => `   ${pct(ms)}  ${k}`),
    '   inclusive time, server code (dist/):',
    ...s.inclusive.slice(0, top).map(([k, ms]) => `   ${pct(ms)}  ${k}`),
    '   native self time by JS caller (SQLite statements run/get/all, socket writes, JSON):',
    ...s.nativeByCaller.slice(0, Math.min(top, 12)).map(([k, ms]) => `   ${pct(ms)}  ${k}`),
  ];
  out.write(lines.join('\n') + '\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt !== -1 ? Number(args.splice(topAt, 2)[1]) : 25;
  if (args.length === 0) {
    process.stderr.write('usage: node test/bench/lib/cpuprofile.cjs <file.cpuprofile> [--top N]\n');
    process.exit(2);
  }
  printProfileSummary(args.map((f) => path.basename(f)).join(' + '), summariseProfile(args), process.stdout, top);
}

module.exports = { summariseProfile, printProfileSummary };
