'use strict';
/**
 * Limiter benchmark: counter increments + decrements per second, and their p50/p99 latency, driven with autocannon
 * over HTTP keep-alive from this process against the built server (`node dist/main.js`, fresh temp data dir).
 *
 *   small   10 rules, 100 counters
 *   large   1,000 rules (3 overrides each), 100,000 counters (seeded with PUT /v1/limiter/counters/set)
 *
 * Rule i groups by [k<a>, j<b>] (a distinct pair per rule); every counter holds two k-keys and one j-key, so each
 * increment meets the same few rules in both scenarios: what grows is everything that does NOT apply. Each
 * autocannon connection alternates POST /v1/limiter/counters (increment by 1) and DELETE of the same counter
 * (decrement by 1) on a counter picked at random; limits are high, so every answer should be 200.
 * It also times creating one rule over all existing counters (the one scan a new rule costs).
 *
 *   node test/bench/limiter.bench.cjs          (or: node test/bench/run.cjs limiter)
 * Environment: BENCH_SECONDS (measured seconds per row, 10), BENCH_WARMUP_SECONDS (2), BENCH_SYNC (WILLOW_SYNC
 * modes, default "full"), BENCH_CONNECTIONS (50), BENCH_LARGE_COUNTERS (100000). Needs a build: npm run build.
 */
const autocannon = require('autocannon');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = process.env.BENCH_SERVER_MAIN ? path.resolve(process.env.BENCH_SERVER_MAIN) : path.join(ROOT, 'dist', 'main.js');
const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const SECONDS = num('BENCH_SECONDS', 10);
const WARMUP = num('BENCH_WARMUP_SECONDS', 2);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const SYNC = (process.env.BENCH_SYNC || 'full').split(',').map((s) => s.trim()).filter(Boolean);
const BIG = 1_000_000;

const SCENARIOS = [
  { name: 'small', kKeys: 5, jKeys: 2, overridesPerRule: 0, counters: 100 },
  { name: 'large', kKeys: 50, jKeys: 20, overridesPerRule: 3, counters: num('BENCH_LARGE_COUNTERS', 100_000) },
];

// ---------------------------------------------------------------------------------------------- server process

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(sync) {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} not found; run \`npm run build\` first`);
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'willow-limiter-bench-'));
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', WILLOW_DATA_DIR: dataDir, WILLOW_LOG_LEVEL: 'warn', WILLOW_SYNC: sync };
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.once('exit', () => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; ; ) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    if ((await request(url, 'GET', '/health/ready').catch(() => ({ status: 0 }))).status === 200) break;
    if (Date.now() > deadline) throw new Error(`server not ready in 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, pid: child.pid, stop, rssMb: () => rssMb(child.pid) };
}

function rssMb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url, method, p, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {};
    const req = http.request(url + p, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `calls` (functions returning promises of {status}) with `width` in flight; throws on any unexpected status. */
async function parallel(calls, width, expected) {
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const res = await calls[next++]();
      if (res.status !== expected) throw new Error(`seeding: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

// ------------------------------------------------------------------------------------------------ the workload

/** A deterministic PRNG (mulberry32), so every run seeds the same data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rulesOf(s) {
  const rules = [];
  for (let j = 0; j < s.jKeys; j++) {
    for (let k = 0; k < s.kKeys; k++) {
      const name = `r_k${k}_j${j}`;
      const overrides = Array.from({ length: s.overridesPerRule }, (_, o) => ({
        Name: `o${o}`,
        KeyValues: { [`k${k}`]: `v${o}`, [`j${j}`]: `v${o}` },
        Limit: BIG,
      }));
      rules.push({ rule: { Name: name, GroupBy: [`k${k}`, `j${j}`], Limit: BIG }, overrides });
    }
  }
  return rules;
}

function countersOf(s) {
  const rand = prng(42);
  const pick = (n) => Math.floor(rand() * n);
  return Array.from({ length: s.counters }, (_, i) => {
    const k1 = pick(s.kKeys);
    const k2 = (k1 + 1 + pick(s.kKeys - 1)) % s.kKeys;
    return { [`k${k1}`]: `v${pick(10)}`, [`k${k2}`]: `v${pick(10)}`, [`j${pick(s.jKeys)}`]: `v${pick(10)}`, id: `c${i}` };
  });
}

async function seed(server, s) {
  const t0 = Date.now();
  const rules = rulesOf(s);
  await parallel(rules.map(({ rule }) => () => request(server.url, 'POST', '/v1/limiter/rules', rule)), 32, 201);
  const overrides = rules.flatMap(({ rule, overrides }) =>
    overrides.map((o) => () => request(server.url, 'POST', `/v1/limiter/rules/${rule.Name}/overrides`, o)),
  );
  await parallel(overrides, 32, 201);
  const counters = countersOf(s);
  await parallel(counters.map((tags) => () => request(server.url, 'PUT', '/v1/limiter/counters/set', { KeyValues: tags, Counters: 1 })), 64, 200);
  const seedSeconds = (Date.now() - t0) / 1000;
  // One rule created over every existing counter: the single scan that computes its aggregates.
  const t1 = Date.now();
  const late = await request(server.url, 'POST', '/v1/limiter/rules', { Name: 'late_rule', GroupBy: ['j0'], Limit: -1 });
  if (late.status !== 201) throw new Error(`late rule: ${late.status} ${JSON.stringify(late.body)}`);
  return { rules: rules.length, overrides: overrides.length, counters, seedSeconds, lateRuleMs: Date.now() - t1 };
}

async function measure(server, counters) {
  const bodies = counters.map((tags) => JSON.stringify({ KeyValues: tags, Counters: 1 }));
  const headers = { 'content-type': 'application/json' };
  const requests = [
    {
      method: 'POST',
      path: '/v1/limiter/counters',
      headers,
      setupRequest: (req, context) => {
        context.body = bodies[Math.floor(Math.random() * bodies.length)];
        return { ...req, body: context.body };
      },
    },
    { method: 'DELETE', path: '/v1/limiter/counters', headers, setupRequest: (req, context) => ({ ...req, body: context.body }) },
  ];
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    warmup: WARMUP > 0 ? { connections: CONNECTIONS, duration: WARMUP } : undefined,
    requests,
  });
  return result;
}

// ----------------------------------------------------------------------------------------------------- report

function table(rows) {
  const header = ['scenario', 'sync', 'rules', 'overrides', 'counters', 'inc+dec/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'notes'];
  const cells = rows.map((r) => header.map((h) => String(r[h])));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 0 || i === 1 || i === c.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main() {
  const started = Date.now();
  const rows = [];
  for (const sync of SYNC) {
    for (const s of SCENARIOS) {
      process.stdout.write(`limiter bench: ${s.name}, WILLOW_SYNC=${sync}: seeding...\n`);
      const server = await startServer(sync);
      try {
        const seeded = await seed(server, s);
        process.stdout.write(`  seeded in ${seeded.seedSeconds.toFixed(1)} s; measuring ${WARMUP}s warm-up + ${SECONDS}s...\n`);
        const r = await measure(server, seeded.counters);
        rows.push({
          scenario: s.name,
          sync,
          rules: seeded.rules + 1,
          overrides: seeded.overrides,
          counters: seeded.counters.length.toLocaleString('en-US'),
          'inc+dec/s': Math.round(r.requests.total / SECONDS).toLocaleString('en-US'),
          'p50 ms': r.latency.p50.toFixed(2),
          'p99 ms': r.latency.p99.toFixed(2),
          'non-2xx': r.non2xx,
          errors: r.errors + r.timeouts,
          notes: `create rule over all counters ${seeded.lateRuleMs} ms; seed ${seeded.seedSeconds.toFixed(1)} s; rss ${Math.round(server.rssMb() ?? 0)} MB`,
        });
      } finally {
        await server.stop();
      }
    }
  }
  agent.destroy();
  process.stdout.write(
    `\nLimiter: ${CONNECTIONS} keep-alive connections (autocannon), each alternating increment and decrement of a random ` +
      `counter; ${WARMUP}s warm-up + ${SECONDS}s measured per row\n${table(rows)}\n` +
      `limiter bench: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  if (rows.some((r) => r['non-2xx'] !== 0 || r.errors !== 0)) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`limiter bench failed: ${(error && error.stack) || error}\n`);
  process.exit(1);
});
