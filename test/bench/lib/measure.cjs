'use strict';
/**
 * Measures workloads ("variants") and turns them into table rows with rate, p50/p99, the target's CPU and RSS.
 *
 * Several variants can be measured *interleaved*: after each one's warm-up, they take turns in short slices
 * (BENCH_SLICE_SECONDS, default 2 s) until each has been measured for BENCH_SECONDS. On a shared host whose load
 * changes from minute to minute, a ratio between two rows measured this way compares like with like, while two
 * rows measured one after the other can differ only because a neighbour's build started in between.
 *
 * A variant: { name, target, iteration: (client) => (clientIndex, iterationIndex, ctx) => Promise<number|void>,
 *   clients=50, unit: 'req'|'items', client?, prepare?(client) (before the warm-up),
 *   onWarmupEnd?(client, {elapsedMs, items, iterations}),
 *   notes?(agg) => string[], latencyOf?(agg) => number[], after?(row) => Promise, clientIsPartOfSystem? }
 * or, for a load that is not a closed loop of ours (a BullMQ Worker), { name, target, custom: { warmup(ms),
 * beforeSlice?(ms) (untimed), slice(ms) => Promise<{count, items?, errors?}>, finish() }, notes?(agg) }.
 * A target: { url?, cpuSeconds(), rssMb(), profileStart(), profileStop(label) } (see server.cjs, redis.cjs).
 */
const { performance } = require('node:perf_hooks');
const { summarize, fmtNum, readHostCpu } = require('./server.cjs');
const { createClient, runClosedLoop } = require('./http.cjs');

function sliceMsSetting(settings, variants) {
  if (variants.length === 1) return settings.durationMs;
  const raw = process.env.BENCH_SLICE_SECONDS;
  const s = raw ? Number(raw) : 2;
  if (!Number.isFinite(s) || s <= 0) throw new Error(`BENCH_SLICE_SECONDS must be a positive number (got "${raw}")`);
  return Math.min(settings.durationMs, Math.round(s * 1000));
}

function newAgg() {
  return {
    latencies: [],
    samples: {},
    count: 0,
    items: 0,
    /** Iterations and items by their share inside the windows (runClosedLoop's `work`): what the rate is from. */
    work: 0,
    workItems: 0,
    errors: 0,
    errorKinds: {},
    windowMs: 0,
    cpuS: 0,
    cpuKnown: true,
    benchCpuS: 0,
    hostBusyS: 0,
    othersCpuS: 0,
    hostIowaitS: 0,
    hostKnown: true,
    elapsedS: 0,
    profiles: [],
  };
}

/** One slice of one variant: its closed loop (or custom load) with the CPU bookkeeping around the window. */
async function runSlice(v, agg, durationMs, others) {
  const { target } = v;
  let cpu0;
  let others0;
  let host0;
  let client0;
  let t0;
  const before = () => {
    target.profileStart();
    cpu0 = target.cpuSeconds();
    others0 = others.map((t) => t.cpuSeconds());
    host0 = readHostCpu();
    client0 = process.cpuUsage();
    t0 = performance.now();
  };
  const after = async () => {
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu1 = target.cpuSeconds();
    others.forEach((t, i) => {
      const now = t.cpuSeconds();
      if (now !== null && others0[i] !== null) agg.othersCpuS += now - others0[i];
    });
    const host1 = readHostCpu();
    const client = process.cpuUsage(client0);
    agg.rss = target.rssMb();
    agg.elapsedS += elapsedS;
    if (cpu0 !== null && cpu1 !== null) agg.cpuS += cpu1 - cpu0;
    else agg.cpuKnown = false;
    agg.benchCpuS += (client.user + client.system) / 1e6;
    if (host0 && host1) {
      agg.hostBusyS += host1.busy - host0.busy;
      agg.hostIowaitS += host1.iowait - host0.iowait;
    } else agg.hostKnown = false;
    const profile = await target.profileStop(`${v.name} #${agg.profiles.length + 1}`);
    if (profile) agg.profiles.push(profile);
  };
  agg.windowMs += durationMs;
  if (v.custom) {
    // Untimed set-up of the slice (e.g. topping up a backlog), outside its window and CPU.
    if (v.custom.beforeSlice) await v.custom.beforeSlice(durationMs);
    before();
    const r = await v.custom.slice(durationMs);
    await after();
    agg.count += r.count;
    agg.items += r.items ?? r.count;
    agg.work += r.count;
    agg.workItems += r.items ?? r.count;
    agg.errors += r.errors ?? 0;
    return;
  }
  const r = await runClosedLoop({
    clients: v.clients,
    warmupMs: 0,
    durationMs,
    iteration: v.bound,
    onMeasureStart: before,
    onMeasureEnd: after,
  });
  agg.latencies.push(...r.latencies);
  for (const [k, xs] of Object.entries(r.samples)) (agg.samples[k] || (agg.samples[k] = [])).push(...xs);
  agg.count += r.count;
  agg.items += r.items;
  agg.work += r.work;
  agg.workItems += r.workItems;
  agg.errors += r.errors;
  for (const [k, n] of Object.entries(r.errorKinds)) agg.errorKinds[k] = (agg.errorKinds[k] || 0) + n;
}

async function warmUp(v, warmupMs) {
  if (v.custom) {
    await v.custom.warmup(warmupMs);
    return;
  }
  const t0 = performance.now();
  const r = await runClosedLoop({ clients: v.clients, warmupMs: 0, durationMs: warmupMs, iteration: v.bound });
  if (v.onWarmupEnd) {
    await v.onWarmupEnd(v.client, { elapsedMs: performance.now() - t0, items: r.items, iterations: r.count });
  }
}

function toRow(v, agg) {
  const rate = (v.unit === 'items' ? agg.workItems : agg.work) / (agg.windowMs / 1000);
  const lat = v.latencyOf ? v.latencyOf(agg) : agg.latencies;
  const s = summarize(lat);
  const pct = (seconds) => (seconds / agg.elapsedS) * 100;
  const cpu = agg.cpuKnown ? pct(agg.cpuS) : undefined;
  const benchCpu = pct(agg.benchCpuS);
  // The other targets of an interleaved group (idle servers between their slices: GC, WAL checkpoints, timers).
  const peersCpu = pct(agg.othersCpuS);
  // CPU that neither the targets nor this process used: other processes on the host (a busy host skews a row).
  const otherCpu = agg.hostKnown && cpu !== undefined ? pct(agg.hostBusyS) - cpu - benchCpu - peersCpu : undefined;
  const iowait = agg.hostKnown ? pct(agg.hostIowaitS) : undefined;
  if (agg.errors > 0) {
    for (const [kind, n] of Object.entries(agg.errorKinds)) process.stderr.write(`  ${v.name}: ${n} x ${kind}\n`);
  }
  const notes = [
    `n=${agg.count}`,
    `err=${agg.errors}`,
    ...(v.notes ? v.notes(agg) : []),
    // Work per CPU-second of the target: steadier than the rate when the host is shared.
    `per-srv-cpu-s=${fmtNum(cpu ? rate / (cpu / 100) : NaN, 0)}`,
    // For a peer whose client library does part of the work in this process (BullMQ), count both.
    ...(v.clientIsPartOfSystem && cpu !== undefined ? [`per-srv+client-cpu-s=${fmtNum(rate / ((cpu + benchCpu) / 100), 0)}`] : []),
    `bench-cpu=${fmtNum(benchCpu, 0)}%`,
    ...(agg.othersCpuS > 0 ? [`idle-peers-cpu=${fmtNum(peersCpu, 0)}%`] : []),
    `other-cpu=${fmtNum(otherCpu === undefined ? NaN : Math.max(0, otherCpu), 0)}%`,
    `iowait=${fmtNum(iowait, 0)}%`,
  ];
  return {
    name: v.name,
    rate,
    p50: s.p50,
    p99: s.p99,
    cpu,
    rss: agg.rss,
    agg,
    result: agg,
    profiles: agg.profiles,
    ok: agg.errors === 0,
    notes: notes.join(' '),
  };
}

/**
 * Warm up each variant, then measure them in alternating slices (one slice = the whole window when alone).
 * @returns {Promise<object[]>} one row per variant, in the given order
 */
async function interleave(settings, variants, opts = {}) {
  const sliceMs = opts.sliceMs || sliceMsSetting(settings, variants);
  const owned = [];
  for (const v of variants) {
    v.clients = v.clients || 50;
    v.unit = v.unit || 'req';
    if (!v.custom) {
      if (!v.client) {
        v.client = createClient(v.target.url, { maxSockets: v.clients + 8 });
        owned.push(v.client);
      }
      v.bound = v.iteration(v.client);
    }
  }
  try {
    for (const v of variants) if (v.prepare) await v.prepare(v.client);
    for (const v of variants) await warmUp(v, settings.warmupMs);
    // Each variant's slices also watch the CPU of the group's other targets (distinct objects only).
    const targets = [...new Set(variants.map((v) => v.target))];
    const others = variants.map((v) => targets.filter((t) => t !== v.target));
    const aggs = variants.map(() => newAgg());
    const slices = Math.ceil(settings.durationMs / sliceMs);
    for (let s = 0; s < slices; s++) {
      const ms = Math.min(sliceMs, settings.durationMs - s * sliceMs);
      // Alternate the order each round so no variant always follows the same one.
      const order = variants.map((_, i) => i);
      if (s % 2 === 1) order.reverse();
      for (const i of order) await runSlice(variants[i], aggs[i], ms, others[i]);
    }
    const rows = [];
    for (const [i, v] of variants.entries()) {
      if (v.custom && v.custom.finish) await v.custom.finish();
      const row = toRow(v, aggs[i]);
      if (variants.length > 1) row.notes += ` interleaved=${slices}x${fmtNum(sliceMs / 1000, 1)}s`;
      if (v.after) await v.after(row);
      process.stdout.write(
        `  ${row.name}: ${fmtNum(row.rate, 0)}/s p50=${fmtNum(row.p50, 2)} p99=${fmtNum(row.p99, 2)} ms ` +
          `cpu=${fmtNum(row.cpu, 0)}% rss=${fmtNum(row.rss, 0)}MB\n`,
      );
      rows.push(row);
    }
    return rows;
  } finally {
    for (const c of owned) c.close();
  }
}

/** One variant on its own: warm-up, then one window. */
async function measure(settings, variant) {
  const [row] = await interleave(settings, [variant]);
  return row;
}

module.exports = { interleave, measure };
