'use strict';
/**
 * Locker benchmark: lock acquire+release cycles per second and the latency of one full cycle (POST /v1/locks then
 * DELETE /v1/locks/<LockID>), driven over HTTP keep-alive from this process against a child server.
 *
 *   uncontended  1,000 distinct tag sets {"bench":"k<i>"}; 50 clients, client c cycles over the keys i with
 *                i % 50 == c, so no two clients ever want the same lock.
 *   contended    one tag set; 50 clients each loop acquire (Wait 30s, Timeout 30s) then release. Every grant is
 *                released; the run checks, from fencing tokens, that no grant arrived before the previous holder's
 *                release was sent (no overlap) and that no token was handed out twice.
 *
 * Each scenario runs BENCH_WARMUP_SECONDS (2) + BENCH_SECONDS (10), on a fresh embedded-store server per
 * WILLOW_SYNC mode in BENCH_SYNC (full,normal). Run: node test/bench/run.cjs locker
 */
const { withServer, summarize, benchSettings, printTable, fmtNum } = require('./lib/server.cjs');
const { createClient, runClosedLoop, sleep } = require('./lib/http.cjs');

const CLIENTS = 50;
const KEYS = 1_000;

class CycleError extends Error {}

function describe(res) {
  const code = res.body && typeof res.body === 'object' ? res.body.Code : undefined;
  return `${res.status}${code ? ` ${code}` : ''}`;
}

/** Release a grant, retrying on connection errors so a grant is never left behind. */
async function release(client, grant) {
  const body = JSON.stringify({ SessionID: grant.SessionID });
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await client.request('DELETE', `/v1/locks/${grant.LockID}`, body);
      if (res.status !== 204) throw new CycleError(`release: ${describe(res)}`);
      return;
    } catch (error) {
      if (error instanceof CycleError || attempt >= 5) throw error;
      await sleep(20 * attempt);
    }
  }
}

async function acquire(client, body) {
  const res = await client.request('POST', '/v1/locks', body);
  if (res.status !== 201) throw new CycleError(`acquire: ${describe(res)}`);
  return res.body;
}

async function heldLocks(client) {
  const res = await client.request('GET', '/v1/locks?Limit=10000');
  return Array.isArray(res.body) ? res.body.length : NaN;
}

async function scenario(server, settings, name, makeIteration) {
  const client = createClient(server.url, { maxSockets: CLIENTS + 4 });
  const cpu0 = server.cpuSeconds();
  const clientCpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const extra = {};
  try {
    const result = await runClosedLoop({
      clients: CLIENTS,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      iteration: makeIteration(client, extra),
    });
    const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu1 = server.cpuSeconds();
    const clientCpu = process.cpuUsage(clientCpu0);
    const held = await heldLocks(client);
    const s = summarize(result.latencies);
    const notes = [
      `n=${result.count}`,
      `err=${result.errors}`,
      `held-after=${held}`,
      ...(extra.notes ? extra.notes() : []),
      cpu0 !== null && cpu1 !== null ? `srv-cpu=${fmtNum(((cpu1 - cpu0) / elapsedS) * 100, 0)}%` : null,
      `bench-cpu=${fmtNum(((clientCpu.user + clientCpu.system) / 1e6 / elapsedS) * 100, 0)}%`,
      `rss=${fmtNum(server.rssMb(), 0)}MB`,
    ].filter(Boolean);
    if (result.errors > 0) {
      for (const [kind, n] of Object.entries(result.errorKinds)) process.stderr.write(`  ${name}: ${n} x ${kind}\n`);
    }
    if (held !== 0) process.stderr.write(`  ${name}: ${held} lock(s) still held after the run\n`);
    return { name, rate: result.rate, p50: s.p50, p99: s.p99, notes: notes.join(' '), ok: result.errors === 0 && held === 0 && !extra.failed };
  } finally {
    client.close();
  }
}

function uncontended(client) {
  // Client c owns keys c, c+50, c+100, ... and cycles over them in order.
  const bodies = Array.from({ length: KEYS }, (_, i) =>
    JSON.stringify({ KeyValues: { bench: `k${i}` }, Timeout: '30s', Wait: '30s' }),
  );
  const perClient = Math.ceil(KEYS / CLIENTS);
  return async (c, i) => {
    const key = c + CLIENTS * (i % perClient);
    const grant = await acquire(client, bodies[key < KEYS ? key : c]);
    await release(client, grant);
  };
}

function contended(client, extra) {
  const body = JSON.stringify({ KeyValues: { bench: 'contended' }, Timeout: '30s', Wait: '30s' });
  // Mutual-exclusion check. Fencing tokens come from one server-wide sequence and only this lock is acquired during
  // the scenario, so consecutive grants of it carry consecutive tokens. A correct server grants t only after it has
  // processed the release of t-1, which this process sent earlier, so (in this single-threaded client's event
  // order) "release of t-1 sent" must precede "grant t received". Any pair that breaks this is an overlap.
  let seq = 0;
  const received = new Map(); // token -> event number of the grant's arrival
  const releaseSent = new Map(); // token -> event number of sending its release
  let duplicateTokens = 0;
  extra.notes = () => {
    let overlaps = 0;
    for (const [token, at] of received) {
      if (!received.has(token - 1)) continue;
      const prevReleased = releaseSent.get(token - 1);
      if (prevReleased === undefined || prevReleased > at) overlaps++;
    }
    extra.failed = overlaps > 0 || duplicateTokens > 0;
    return [`overlaps=${overlaps}`, ...(duplicateTokens ? [`dup-tokens=${duplicateTokens}`] : [])];
  };
  return async () => {
    const grant = await acquire(client, body);
    const token = Number(grant.FencingToken);
    if (received.has(token)) duplicateTokens++;
    received.set(token, ++seq);
    releaseSent.set(token, ++seq);
    await release(client, grant);
  };
}

async function main() {
  const settings = benchSettings();
  const started = Date.now();
  const rows = [];
  try {
    for (const sync of settings.sync) {
      process.stdout.write(`locker: WILLOW_SYNC=${sync} ...\n`);
      await withServer({ sync }, async (server) => {
        rows.push(await scenario(server, settings, `locker uncontended (sync=${sync})`, uncontended));
        rows.push(await scenario(server, settings, `locker contended   (sync=${sync})`, contended));
      });
    }
  } finally {
    if (rows.length > 0) report(settings, rows, started);
  }
  if (rows.some((r) => !r.ok)) {
    process.stderr.write('locker: some cycles failed or locks were left held (see above)\n');
    process.exitCode = 1;
  }
}

function report(settings, rows, started) {
  printTable(
    `Locker: acquire+release cycles, ${CLIENTS} clients, keep-alive HTTP; ` +
      `${settings.warmupMs / 1000}s warm-up + ${settings.durationMs / 1000}s measured per row; latency = full cycle`,
    rows,
  );
  process.stdout.write(`locker: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`locker bench failed: ${(error && error.stack) || error}\n`);
    process.exit(1);
  });
}

module.exports = { main };
