'use strict';
/**
 * Willow on PostgreSQL against pg-boss and graphile-worker on the same database, measured in the same run.
 *
 *   Willow PG x1     one server, WILLOW_STORAGE=postgres, its own fresh schema.
 *   Willow PG x2     two servers on one (other) fresh schema; the load is spread over both: client k talks to server
 *                    k mod 2 (a consumer acks on the server it dequeued from).
 *   Willow embedded  one server on the embedded store (WILLOW_SYNC=full), the same workloads, for reference.
 *   pg-boss          in this process, its own fresh schema, pool max 20 (Willow's default pool per instance).
 *   graphile-worker  in this process, its own fresh schema; measured last, alone (after the others stopped).
 *
 * Workloads (the queue bench's Willow workloads, lib/measure.cjs closed loops; the rows of one group are measured
 * interleaved in BENCH_SLICE_SECONDS slices after each one's warm-up, so host load hits every system alike):
 *   enqueue single   Willow POST .../items over BENCH_PG_CHANNELS channels | pg-boss send() | graphile addJob(); 50 in
 *                    flight.
 *   collapse         Willow POST .../items into 4 channels whose waiting tail is updateable (nobody dequeues) |
 *                    pg-boss send() with a singletonKey (4 keys) into a 'short'-policy queue, the nearest it has:
 *                    the duplicate is DROPPED (send answers null), its data does not replace the waiting job's.
 *   batch enqueue    Willow POST .../items/batch x100 over BENCH_PG_CHANNELS channels | pg-boss insert() x100 |
 *                    graphile addJobs() x100; 50 in flight; items/s.
 *   dequeue+ack      Willow POST .../dequeue then .../:ID/ack | pg-boss fetch() then complete(id); 50 consumers.
 *   dequeue-batch    Willow POST .../dequeue-batch {Count:100} then .../ack-batch | pg-boss fetch({batchSize:100})
 *                    then complete(ids); 50 consumers; items/s (the Willow rows in slices of half the measured time:
 *                    one batch cycle can take a good part of a 2 s slice). pg-boss's processing rows are measured alone, right
 *                    after the Willow rows (interleaved among themselves): its fetch sorts the queue's waiting jobs, so
 *                    at these backlogs one iteration can outlast a slice, which would then count nothing.
 *   graphile run     run() with concurrency 50 (maxPoolSize 52, pollInterval 100 ms), no-op task, over pre-added
 *                    jobs: one row without and one with its batching (localQueue size 100, completeJobBatchDelay 0).
 * Every system's processing rows start from fresh queues holding the same backlog: BENCH_PG_BACKLOG_SINGLE (30000)
 * items for the single rows, BENCH_PG_BACKLOG_BATCH (150000) for the batch rows (Willow: over BENCH_PG_CHANNELS
 * channels), then ANALYZE of the tables (the statistics autovacuum would have gathered by then): the backlog size
 * matters to a store whose fetch sorts the waiting jobs. At the end of the warm-up a backlog is topped up to the
 * larger of that size and 2x what the measured time would take at the warm-up's rate; a consumer that finds nothing
 * counts an error ("drained"), so a row never looks fast by starving.
 *
 * Besides rate, p50/p99 and the Willow server's CPU/RSS ("srv"; both servers summed for x2; pg-boss and graphile
 * run inside this process, so their CPU is bench-cpu), every row notes:
 *   db-cpu      the PostgreSQL server's CPU (all its processes, % of one core) when it runs on this host;
 *   stmts/item  statements the system sent per item (Willow: counted inside the server by a preload; pg-boss and
 *               graphile: in this process), with the split by kind (B=BEGIN C=COMMIT S=SELECT I=INSERT U=UPDATE
 *               D=DELETE W=WITH O=other);
 *   wal/item    WAL bytes per item (cluster-wide).
 * A second table gives the cost per item (srv, db and bench CPU microseconds, statements, WAL) to show where the
 * time goes; then the ratios Willow-on-PostgreSQL / pg-boss (goal >= 1.0).
 *
 * Database: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); when it cannot be reached the bench says
 * so and is skipped. Every system gets a fresh schema (bench_<system>_<run id>), dropped at the end.
 * Willow's items go to BENCH_PG_CHANNELS (100) channels, the condition of the targets against pg-boss ("with 100
 * channels in use"); BENCH_PG_CHANNELS=10000 measures many channels, which costs Willow's batch enqueue more.
 * Settings: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_SLICE_SECONDS (2), BENCH_PG_CHANNELS (100),
 * BENCH_PG_BACKLOG_SINGLE (30000), BENCH_PG_BACKLOG_BATCH (150000),
 * BENCH_PG_GRAPHILE=0 (skip graphile-worker), BENCH_PG_EMBEDDED=0 (skip the embedded-store rows), BENCH_PG_WILLOW=0
 * (skip Willow on PostgreSQL: the peers and the embedded store only), BENCH_PG_INSTANCE_CPU (cores, e.g. 0.3: each
 * Willow server on PostgreSQL, of x1 and of x2, runs under a CPU quota of that many cores, lib/cpu-budget.cjs; it
 * stands for instances on hosts of their own, so two against one measures how the design scales out rather than
 * how two servers, the database and the load generator share this machine's cores; needs root and cgroups).
 * Run: node test/bench/run.cjs postgres   (or npm run bench:postgres)
 */
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { startServer, summarize, benchSettings, printTable, fmtNum } = require('./lib/server.cjs');
const { createClient, sleep } = require('./lib/http.cjs');
const { interleave } = require('./lib/measure.cjs');
const queueBench = require('./queue.bench.cjs');
const { installQueryCounter, readCountFile, KINDS } = require('./lib/pg-count.cjs');
const { PgMonitor, withPgStats, inProcessStatements } = require('./lib/pg-stats.cjs');

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const RUN_ID = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const CLIENTS = 50;
const BATCH = queueBench.BATCH;
const DEQUEUE_COUNT = queueBench.DEQUEUE_COUNT;
const PEER_POOL = 20;
const GRAPHILE_CONCURRENCY = 50;
const DATA = queueBench.DATA;
const PRELOAD = path.join(__dirname, 'lib', 'pg-count-preload.cjs');
const SINGLE_BACKLOG = envInt('BENCH_PG_BACKLOG_SINGLE', 30_000);
const BATCH_BACKLOG = envInt('BENCH_PG_BACKLOG_BATCH', 150_000);
const CHANNELS = envInt('BENCH_PG_CHANNELS', 100);
const INSTANCE_CPU = instanceCpu();

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1000) throw new Error(`${name} must be an integer >= 1000 (got "${raw}")`);
  return n;
}

/** BENCH_PG_INSTANCE_CPU: the cores each Willow server on PostgreSQL may use, or undefined (no quota). */
function instanceCpu() {
  const raw = process.env.BENCH_PG_INSTANCE_CPU;
  if (raw === undefined || raw.trim() === '') return undefined;
  const cores = Number(raw);
  if (!(cores >= 0.05 && cores <= os.cpus().length)) {
    throw new Error(`BENCH_PG_INSTANCE_CPU must be a number of cores from 0.05 to ${os.cpus().length} (got "${raw}")`);
  }
  return cores;
}

// This process's statements (pg-boss, graphile-worker): count them from the start.
const localCounts = installQueryCounter();

class BenchError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Systems

/** A measure.cjs target over one or more Willow servers (CPU and RSS summed; profiling on the first). */
function serversTarget(servers, sync) {
  const sum = (f) => {
    let total = 0;
    for (const s of servers) {
      const v = f(s);
      if (v === null || v === undefined) return null;
      total += v;
    }
    return total;
  };
  return {
    url: servers[0].url,
    sync,
    cpuSeconds: () => sum((s) => s.cpuSeconds()),
    rssMb: () => sum((s) => s.rssMb()),
    profileStart: () => servers[0].profileStart(),
    profileStop: (label) => servers[0].profileStop(label),
  };
}

/** A target for a client library running in this process: no server of its own (its CPU is bench-cpu). */
function inProcessTarget(sync) {
  return { url: null, sync, cpuSeconds: () => null, rssMb: () => null, profileStart: () => {}, profileStop: async () => null };
}

async function startWillowPg(schema, countDir, n) {
  const countFile = path.join(countDir, `${schema}-${n}.json`);
  const server = await startServer({
    nodeArgs: ['-r', PRELOAD],
    cpuBudget: INSTANCE_CPU,
    env: { WILLOW_STORAGE: 'postgres', DATABASE_URL, WILLOW_PG_SCHEMA: schema, BENCH_PG_COUNT_FILE: countFile },
  });
  server.countFile = countFile;
  return server;
}

function countsOfServers(servers) {
  return () => {
    const total = {};
    for (const s of servers) {
      const c = readCountFile(s.countFile);
      if (!c) return null;
      for (const [k, v] of Object.entries(c)) total[k] = (total[k] || 0) + v;
    }
    return total;
  };
}

/**
 * Point a queue-bench variant at a system: its target, its name, and for several servers client k's iterations go
 * to server k mod n (so a consumer acks where it dequeued).
 */
function adapt(v, sys, name) {
  v.name = name;
  v.target = sys.target;
  v.system = sys;
  if (sys.servers && sys.servers.length > 1) {
    const orig = v.iteration;
    const clients = sys.servers.map((s) => createClient(s.url, { maxSockets: (v.clients || CLIENTS) + 8 }));
    v.iteration = () => {
      const bound = clients.map((c) => orig(c));
      return (c, i, ctx) => bound[c % bound.length](c, i, ctx);
    };
    const after = v.after;
    v.after = async (row) => {
      if (after) await after(row);
      for (const c of clients) c.close();
    };
  }
  return v;
}

/** A fresh queue on a Willow system holding `n` items over BENCH_PG_CHANNELS channels (queue bench backlog). */
async function willowBacklog(sys, queue, n) {
  const channels = CHANNELS;
  const client = createClient(sys.servers[0].url, { maxSockets: 16 });
  try {
    await queueBench.createQueue(client, queue);
    await queueBench.fill(client, queue, n, (i) => `c${i % channels}`);
  } finally {
    client.close();
  }
  const backlog = queueBench.newBacklog(queue, channels);
  backlog.state.filled = n;
  return backlog;
}

/** ANALYZE every table of a schema: after a bulk fill, the statistics autovacuum would have gathered by then. */
async function analyzeSchema(monitor, schema) {
  const { rows } = await monitor.query(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
    [schema],
  );
  for (const r of rows) await monitor.query(`ANALYZE ${schema}."${r.relname}"`);
}

// ---------------------------------------------------------------------------------------------------------------
// pg-boss

function loadPgBoss() {
  try {
    return require('pg-boss');
  } catch (error) {
    throw new Error(`pg-boss is not installed (npm install --save-dev pg-boss): ${error.message}`);
  }
}

async function bossFill(boss, queue, n) {
  const chunk = 1000;
  const jobs = Array.from({ length: chunk }, () => ({ name: queue, data: DATA }));
  let left = n;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left > 0) {
        const k = Math.min(chunk, left);
        left -= k;
        await boss.insert(k === chunk ? jobs : jobs.slice(0, k));
      }
    }),
  );
}

function bossBacklog(boss, queue) {
  const backlog = { queue, toppedUp: 0 };
  backlog.ensure = async (need) => {
    const waiting = await boss.getQueueSize(queue);
    if (waiting >= need) return 0;
    const add = Math.ceil((need - waiting) / 1000) * 1000;
    await bossFill(boss, queue, add);
    return add;
  };
  return backlog;
}

function bossSend(sys, queue) {
  return {
    name: `pg-boss send(), ${CLIENTS} in flight [jobs/s]`,
    target: sys.target,
    system: sys,
    client: sys.boss,
    iteration: (boss) => async () => {
      if (!(await boss.send(queue, DATA))) throw new BenchError('send: no id');
    },
  };
}

function bossSingleton(sys, queue) {
  let accepted = 0;
  let dropped = 0;
  return {
    name: `pg-boss send() singletonKey, 4 keys, 'short' queue (dup dropped)`,
    target: sys.target,
    system: sys,
    client: sys.boss,
    iteration: (boss) => async (c, i) => {
      const id = await boss.send(queue, DATA, { singletonKey: `k${(c + i) % 4}` });
      if (id) accepted++;
      else dropped++;
    },
    notes: () => [`accepted=${accepted} dropped=${dropped}`],
  };
}

function bossInsert(sys, backlog) {
  const jobs = Array.from({ length: BATCH }, () => ({ name: backlog.queue, data: DATA }));
  return {
    name: `pg-boss insert() x${BATCH}, ${CLIENTS} in flight [jobs/s]`,
    target: sys.target,
    system: sys,
    client: sys.boss,
    unit: 'items',
    iteration: (boss) => async () => {
      await boss.insert(jobs);
      return BATCH;
    },
  };
}

function bossTopUp(backlog, settings, floor) {
  return async (boss, w) => {
    const rate = w.items / (w.elapsedMs / 1000);
    backlog.toppedUp += await backlog.ensure(Math.max(floor, Math.ceil(rate * (settings.durationMs / 1000) * 2)));
  };
}

function bossFetchComplete(sys, settings, backlog) {
  return {
    name: `pg-boss fetch() + complete(id), ${CLIENTS} consumers`,
    target: sys.target,
    system: sys,
    client: sys.boss,
    prepare: () => backlog.ensure(SINGLE_BACKLOG),
    onWarmupEnd: bossTopUp(backlog, settings, SINGLE_BACKLOG),
    iteration: (boss) => async (c, i, ctx) => {
      const t = performance.now();
      const jobs = await boss.fetch(backlog.queue);
      if (!jobs || jobs.length === 0) throw new BenchError('fetch: nothing (queue drained)');
      ctx.sample('dequeue', t);
      await boss.complete(backlog.queue, jobs[0].id);
    },
    notes: (r) => {
      const d = summarize(r.samples.dequeue || []);
      return [`fetch-p50=${fmtNum(d.p50, 2)} p99=${fmtNum(d.p99, 2)}`, `topped-up=${backlog.toppedUp}`];
    },
  };
}

function bossFetchCompleteBatch(sys, settings, backlog) {
  let batches = 0;
  let got = 0;
  return {
    name: `pg-boss fetch({batchSize:${DEQUEUE_COUNT}}) + complete(ids), ${CLIENTS} consumers [jobs/s]`,
    target: sys.target,
    system: sys,
    client: sys.boss,
    unit: 'items',
    prepare: () => backlog.ensure(BATCH_BACKLOG),
    onWarmupEnd: bossTopUp(backlog, settings, BATCH_BACKLOG),
    iteration: (boss) => async (c, i, ctx) => {
      const t = performance.now();
      const jobs = await boss.fetch(backlog.queue, { batchSize: DEQUEUE_COUNT });
      if (!jobs || jobs.length === 0) throw new BenchError('fetch: nothing (queue drained)');
      ctx.sample('dequeue', t);
      if (ctx.inWindow(performance.now())) {
        batches++;
        got += jobs.length;
      }
      await boss.complete(
        backlog.queue,
        jobs.map((j) => j.id),
      );
      return jobs.length;
    },
    notes: (r) => {
      const d = summarize(r.samples.dequeue || []);
      return [
        `avg-batch=${fmtNum(batches ? got / batches : NaN, 1)}`,
        `fetch-p50=${fmtNum(d.p50, 2)} p99=${fmtNum(d.p99, 2)}`,
        `topped-up=${backlog.toppedUp}`,
      ];
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// graphile-worker

function loadGraphile() {
  try {
    return require('graphile-worker');
  } catch (error) {
    throw new Error(`graphile-worker is not installed (npm install --save-dev graphile-worker): ${error.message}`);
  }
}

function quietLogger(gw) {
  return new gw.Logger(() => (level, message) => {
    if (level === 'error') process.stderr.write(`  graphile-worker: ${message}\n`);
  });
}

const GRAPHILE_JOB = { identifier: 'bench', payload: DATA };

function graphileAdd(sys) {
  return {
    name: `graphile-worker addJob(), ${CLIENTS} in flight [jobs/s]`,
    target: sys.target,
    system: sys,
    client: sys.utils,
    iteration: (utils) => async () => {
      await utils.addJob(GRAPHILE_JOB.identifier, DATA);
    },
  };
}

function graphileAddJobs(sys) {
  const specs = Array.from({ length: BATCH }, () => GRAPHILE_JOB);
  return {
    name: `graphile-worker addJobs() x${BATCH}, ${CLIENTS} in flight [jobs/s]`,
    target: sys.target,
    system: sys,
    client: sys.utils,
    unit: 'items',
    iteration: (utils) => async () => {
      await utils.addJobs(specs);
      return BATCH;
    },
  };
}

async function graphileWaiting(sys) {
  const { rows } = await sys.monitor.query(`SELECT count(*)::int AS n FROM ${sys.schema}._private_jobs WHERE locked_at IS NULL`);
  return rows[0].n;
}

async function graphileFill(sys, n) {
  const chunk = 1000;
  const specs = Array.from({ length: chunk }, () => GRAPHILE_JOB);
  let left = n;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left > 0) {
        const k = Math.min(chunk, left);
        left -= k;
        await sys.utils.addJobs(k === chunk ? specs : specs.slice(0, k));
      }
    }),
  );
}

/**
 * run() over pre-added jobs with a no-op task; not a closed loop of ours: the runner starts in the warm-up and a
 * slice counts the job:success events inside it. Measured alone (one slice).
 */
function graphileRun(sys, settings, gw, { batched }) {
  let runner = null;
  let succeeded = 0;
  let failed = 0;
  let counting = false;
  let inSlice = 0;
  let toppedUp = 0;
  let left = null;
  const preset = batched ? { worker: { localQueue: { size: DEQUEUE_COUNT }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } : undefined;
  return {
    name: `graphile-worker run() concurrency ${GRAPHILE_CONCURRENCY}${batched ? `, localQueue ${DEQUEUE_COUNT} + batched completion` : ''} [jobs/s]`,
    target: sys.target,
    system: sys,
    unit: 'items',
    custom: {
      async warmup(ms) {
        // The same starting backlog as the other systems' rows: drop what the add rows left, then fill.
        const floor = batched ? BATCH_BACKLOG : SINGLE_BACKLOG;
        await sys.monitor.query(`DELETE FROM ${sys.schema}._private_jobs`);
        await graphileFill(sys, floor);
        await analyzeSchema(sys.monitor, sys.schema);
        runner = await gw.run({
          connectionString: DATABASE_URL,
          schema: sys.schema,
          concurrency: GRAPHILE_CONCURRENCY,
          maxPoolSize: GRAPHILE_CONCURRENCY + 2,
          pollInterval: 100,
          noHandleSignals: true,
          logger: quietLogger(gw),
          taskList: { [GRAPHILE_JOB.identifier]: async () => {} },
          ...(preset ? { preset } : {}),
        });
        runner.events.on('job:success', () => {
          succeeded++;
          if (counting) inSlice++;
        });
        runner.events.on('job:failed', () => failed++);
        await sleep(ms / 2);
        const half = { at: performance.now(), succeeded };
        await sleep(ms / 2);
        const rate = (succeeded - half.succeeded) / Math.max(0.001, (performance.now() - half.at) / 1000);
        const need = Math.ceil(rate * (settings.durationMs / 1000) * 2);
        const now = await graphileWaiting(sys);
        if (now < need) {
          toppedUp = Math.ceil((need - now) / 1000) * 1000;
          await graphileFill(sys, toppedUp);
        }
      },
      async slice(ms) {
        inSlice = 0;
        counting = true;
        await sleep(ms);
        counting = false;
        return { count: inSlice };
      },
      async finish() {
        left = await graphileWaiting(sys);
        await runner.stop();
        await runner.promise.catch(() => undefined);
      },
    },
    notes: () => [`failed=${failed}`, `waiting-after=${left}${left === 0 ? ' (DRAINED: rate is a lower bound)' : ''}`, `topped-up=${toppedUp}`],
    after: async (row) => {
      row.ok = row.ok && failed === 0 && left > 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Rows: PostgreSQL notes per row

/** The work of the windows (each iteration by its share inside them), as the rate counts it. */
function itemsOf(v, agg) {
  return v.unit === 'items' ? agg.workItems : agg.work;
}

function statementSplit(st, items) {
  const short = { BEGIN: 'B', COMMIT: 'C', ROLLBACK: 'R', SELECT: 'S', INSERT: 'I', UPDATE: 'U', DELETE: 'D', WITH: 'W', OTHER: 'O' };
  return KINDS.filter((k) => st[k] > 0)
    .map((k) => `${short[k]}${fmtNum(st[k] / items, st[k] / items >= 10 ? 0 : 2)}`)
    .join(' ');
}

/** After a group: add db-cpu, statements and WAL per item to each row's notes, and keep them for the cost table. */
function annotate(monitor, variants, rows) {
  rows.forEach((row, i) => {
    const v = variants[i];
    const agg = row.agg;
    const s = monitor.statsFor(v.name);
    const items = itemsOf(v, agg);
    const pct = (sec) => (sec / agg.elapsedS) * 100;
    row.cost = {
      items,
      rate: row.rate,
      srvUs: row.cpu !== undefined && items > 0 ? (agg.cpuS / items) * 1e6 : NaN,
      dbUs: s.dbKnown && items > 0 ? (s.dbCpuS / items) * 1e6 : NaN,
      benchUs: items > 0 ? (agg.benchCpuS / items) * 1e6 : NaN,
      stmts: s.statementsKnown && items > 0 ? s.statements.total / items : NaN,
      split: s.statementsKnown && items > 0 ? statementSplit(s.statements, items) : '',
      walB: s.walKnown && items > 0 ? s.walBytes / items : NaN,
      dbPct: s.dbKnown ? pct(s.dbCpuS) : NaN,
    };
    row.system = v.system && v.system.key;
    const extra = [`db-cpu=${fmtNum(row.cost.dbPct, 0)}%`];
    if (Number.isFinite(row.cost.stmts)) extra.push(`stmts/item=${fmtNum(row.cost.stmts, 2)} [${row.cost.split}]`);
    if (Number.isFinite(row.cost.walB)) extra.push(`wal/item=${fmtNum(row.cost.walB, 0)}B`);
    row.notes = `${extra.join(' ')} ${row.notes}`;
  });
  return rows;
}

/**
 * Measure `variants` interleaved (lib/measure.cjs) and annotate the rows. `longSlices`: slices of half the measured
 * time, for rows whose one iteration (a dequeue-batch and its ack) can take a good part of a short slice: a slice
 * starts with no iteration in flight and counts only those that end inside it.
 */
async function group(title, monitor, settings, variants, { longSlices = false } = {}) {
  const opts = longSlices && variants.length > 1 ? { sliceMs: Math.max(2000, Math.round(settings.durationMs / 2)) } : {};
  process.stdout.write(`postgres: ${title} (${variants.length > 1 ? `interleaved: ${variants.length} rows` : 'alone'}) ...\n`);
  return annotate(monitor, variants, await interleave(settings, variants, opts));
}

// ---------------------------------------------------------------------------------------------------------------

async function run(settings, rows, byKey) {
  let monitor;
  try {
    monitor = await PgMonitor.open(DATABASE_URL);
  } catch (error) {
    // Like the split bench without NATS: no database, nothing to measure here (the other benches still run).
    process.stdout.write(`postgres: skipped: cannot connect to ${DATABASE_URL.replace(/\/\/[^@/]*@/, '//***@')} (${error.message}); set DATABASE_URL\n`);
    return;
  }
  const countDir = fs.mkdtempSync(path.join(os.tmpdir(), 'willow-bench-pgcount-'));
  const schemas = { w1: `bench_w1_${RUN_ID}`, w2: `bench_w2_${RUN_ID}`, boss: `bench_pgboss_${RUN_ID}`, graphile: `bench_graphile_${RUN_ID}` };
  const started = [];
  let boss = null;
  const { info } = monitor;
  process.stdout.write(
    `postgres: PostgreSQL ${info.version} at ${DATABASE_URL.replace(/\/\/[^@/]*@/, '//***@')} ` +
      `(${info.postmaster ? `on this host, postmaster pid ${info.postmaster}` : 'not on this host: db cpu unknown'}; ` +
      `${info.usedConnections} of ${info.maxConnections} connections in use); pg-boss ${require('pg-boss/package.json').version}, ` +
      `graphile-worker ${require('graphile-worker/package.json').version}; schemas ${Object.values(schemas).join(', ')}\n`,
  );
  if (info.maxConnections - info.usedConnections < 90) {
    process.stdout.write(`postgres: note: this run opens up to ~85 connections at once (3 Willow pools of 20, pg-boss 20, listeners)\n`);
  }
  const add = (key, row) => {
    rows.push(row);
    byKey[key] = row;
  };
  const stopAll = async () => {
    while (started.length > 0) {
      const s = started.pop();
      const { code, signal, killed } = await s.stop();
      if (killed || (code !== 0 && code !== null) || (signal && signal !== 'SIGTERM')) {
        process.stderr.write(`note: server pid ${s.pid} ended code=${code} signal=${signal} killed=${killed}\n`);
      }
      const { lines, first } = s.outputSummary();
      if (lines > 0) {
        process.stderr.write(`note: server pid ${s.pid} wrote ${lines} line(s); first distinct:\n${first.map((l) => `  | ${l.slice(0, 300)}`).join('\n')}\n`);
      }
    }
  };
  try {
    // --- Willow servers and pg-boss up together
    const t0 = performance.now();
    const systems = {};
    if (process.env.BENCH_PG_WILLOW !== '0') {
      const a = await startWillowPg(schemas.w1, countDir, 1);
      started.push(a);
      const [b1, b2] = await Promise.all([startWillowPg(schemas.w2, countDir, 1), startWillowPg(schemas.w2, countDir, 2)]);
      started.push(b1, b2);
      systems.w1 = { key: 'w1', label: 'Willow PG x1', servers: [a], target: withPgStats(serversTarget([a], 'pg-x1'), monitor, countsOfServers([a])) };
      systems.w2 = {
        key: 'w2',
        label: 'Willow PG x2',
        servers: [b1, b2],
        target: withPgStats(serversTarget([b1, b2], 'pg-x2'), monitor, countsOfServers([b1, b2])),
      };
    }
    if (process.env.BENCH_PG_EMBEDDED !== '0') {
      const e = await startServer({ sync: 'full' });
      started.push(e);
      systems.emb = { key: 'emb', label: 'Willow embedded', servers: [e], target: withPgStats(serversTarget([e], 'full'), monitor, null) };
    }
    if (INSTANCE_CPU !== undefined) {
      process.stdout.write(`postgres: each Willow server on PostgreSQL runs under a CPU quota of ${INSTANCE_CPU} cores (BENCH_PG_INSTANCE_CPU)\n`);
    }
    process.stdout.write(`postgres: Willow servers ready in ${fmtNum((performance.now() - t0) / 1000, 1)} s (migrations included)\n`);

    const PgBoss = loadPgBoss();
    boss = new PgBoss({ connectionString: DATABASE_URL, schema: schemas.boss, max: PEER_POOL, schedule: false, application_name: 'willow-bench-pgboss' });
    boss.on('error', (e) => process.stderr.write(`  pg-boss error: ${e && e.message}\n`));
    await boss.start();
    for (const q of ['bench-send', 'bench-work']) await boss.createQueue(q);
    await boss.createQueue('bench-short', { policy: 'short' });
    systems.boss = { key: 'boss', label: 'pg-boss', boss, target: withPgStats(inProcessTarget('pg-boss'), monitor, inProcessStatements(localCounts)) };

    const willow = ['w1', 'w2', 'emb'].filter((k) => systems[k]).map((k) => systems[k]);
    const tag = (sys) => sys.label;

    // --- enqueue single
    const enq = [];
    for (const sys of willow) {
      enq.push(adapt(await queueBench.enqueueSingle(sys.target, { queue: 'enqueue', channels: CHANNELS }), sys, `${tag(sys)}: enqueue single, ${CHANNELS} channels`));
    }
    enq.push(bossSend(systems.boss, 'bench-send'));
    (await group('enqueue single', monitor, settings, enq)).forEach((row, i) => add(`enqueue_${enq[i].system.key}`, row));

    // --- collapse
    const col = [];
    for (const sys of willow) col.push(adapt(await queueBench.collapse(sys.target, { queue: 'collapse' }), sys, `${tag(sys)}: collapse, 4 updateable tails`));
    col.push(bossSingleton(systems.boss, 'bench-short'));
    (await group('collapse', monitor, settings, col)).forEach((row, i) => add(`collapse_${col[i].system.key}`, row));

    // --- batch enqueue (their items are the backlog of the dequeue rows)
    const bat = [];
    for (const sys of willow) {
      bat.push(adapt(await queueBench.batchEnqueue(sys.target, { queue: 'work', channels: CHANNELS }), sys, `${tag(sys)}: batch enqueue x${BATCH} [items/s]`));
    }
    bat.push(bossInsert(systems.boss, bossBacklog(boss, 'bench-work')));
    (await group('batch enqueue', monitor, settings, bat)).forEach((row, i) => add(`batch_${bat[i].system.key}`, row));

    // --- processing: every system starts from fresh queues holding the same backlog (SINGLE_BACKLOG items for the
    // single rows, BATCH_BACKLOG for the batch rows), then ANALYZE (the statistics autovacuum would have by then).
    const tf = performance.now();
    for (const sys of willow) {
      sys.single = await willowBacklog(sys, 'proc1', SINGLE_BACKLOG);
      sys.batch = await willowBacklog(sys, 'proc100', BATCH_BACKLOG);
    }
    const bossSingle = bossBacklog(boss, 'bench-proc1');
    const bossBatch = bossBacklog(boss, 'bench-proc100');
    for (const b of [bossSingle, bossBatch]) await boss.createQueue(b.queue);
    await bossSingle.ensure(SINGLE_BACKLOG);
    await bossBatch.ensure(BATCH_BACKLOG);
    for (const schema of [schemas.w1, schemas.w2, schemas.boss]) await analyzeSchema(monitor, schema);
    process.stdout.write(
      `postgres: backlogs of ${fmtNum(SINGLE_BACKLOG, 0)} and ${fmtNum(BATCH_BACKLOG, 0)} items filled and analyzed in ` +
        `${fmtNum((performance.now() - tf) / 1000, 1)} s\n`,
    );

    // --- dequeue + ack, single
    const deq = [];
    for (const sys of willow) {
      deq.push(adapt(queueBench.dequeueAckSingle(sys.target, settings, sys.single), sys, `${tag(sys)}: dequeue+ack single, ${CLIENTS} consumers`));
    }
    (await group('dequeue+ack single', monitor, settings, deq)).forEach((row, i) => add(`dequeue_${deq[i].system.key}`, row));
    // pg-boss's fetch sorts every waiting job of the queue, so at this backlog one iteration can take longer than a
    // slice, and a slice would count none: its processing rows are measured alone, in one window.
    const [bossDeq] = await group('pg-boss fetch()+complete(id)', monitor, settings, [bossFetchComplete(systems.boss, settings, bossSingle)]);
    add('dequeue_boss', bossDeq);

    // --- dequeue-batch + ack-batch
    const dqb = [];
    for (const sys of willow) {
      dqb.push(
        adapt(
          queueBench.dequeueBatchAck(sys.target, settings, sys.batch, { floor: BATCH_BACKLOG }),
          sys,
          `${tag(sys)}: dequeue-batch+ack-batch x${DEQUEUE_COUNT}, ${CLIENTS} consumers [items/s]`,
        ),
      );
    }
    (await group('dequeue-batch+ack-batch', monitor, settings, dqb, { longSlices: true })).forEach((row, i) => add(`dequeueBatch_${dqb[i].system.key}`, row));
    const [bossDqb] = await group('pg-boss fetch(100)+complete(ids)', monitor, settings, [bossFetchCompleteBatch(systems.boss, settings, bossBatch)]);
    add('dequeueBatch_boss', bossDqb);

    // Table sizes at the end (Willow's and pg-boss's schemas).
    for (const [key, schema] of [
      ['w1', schemas.w1],
      ['w2', schemas.w2],
      ['boss', schemas.boss],
    ]) {
      const { rows: r } = await monitor.query(
        'SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8 AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ' +
          "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
        [schema],
      );
      byKey[`size_${key}`] = r[0].b;
    }
    await boss.stop({ graceful: false, close: true, wait: true });
    boss = null;
    await stopAll();

    // --- graphile-worker, alone
    if (process.env.BENCH_PG_GRAPHILE !== '0') {
      const gw = loadGraphile();
      const utils = await gw.makeWorkerUtils({ connectionString: DATABASE_URL, schema: schemas.graphile, maxPoolSize: PEER_POOL, logger: quietLogger(gw) });
      try {
        await utils.migrate();
        const g = {
          key: 'graphile',
          label: 'graphile-worker',
          utils,
          monitor,
          schema: schemas.graphile,
          target: withPgStats(inProcessTarget('graphile'), monitor, inProcessStatements(localCounts)),
        };
        const gAdd = [graphileAdd(g), graphileAddJobs(g)];
        const [ga, gb] = await group('graphile-worker addJob, addJobs', monitor, settings, gAdd);
        add('enqueue_graphile', ga);
        add('batch_graphile', gb);
        for (const batched of [false, true]) {
          const v = graphileRun(g, settings, gw, { batched });
          const [row] = await group(`graphile-worker run()${batched ? ' batched' : ''}`, monitor, settings, [v]);
          add(batched ? 'dequeueBatch_graphile' : 'dequeue_graphile', row);
        }
      } finally {
        await utils.release();
      }
    }
  } finally {
    if (boss) await boss.stop({ graceful: false, close: true, wait: true }).catch(() => undefined);
    await stopAll();
    for (const schema of Object.values(schemas)) {
      await monitor.dropSchema(schema).catch((e) => process.stderr.write(`note: drop schema ${schema}: ${e.message}\n`));
    }
    await monitor.close();
    fs.rmSync(countDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function printCosts(rows, out) {
  const header = ['row', 'items/s', 'srv us/item', 'db us/item', 'bench us/item', 'stmts/item', 'split per item', 'wal B/item'];
  const cells = rows
    .filter((r) => r.cost)
    .map((r) => [
      r.name,
      fmtNum(r.cost.rate, 0),
      fmtNum(r.cost.srvUs, 0),
      fmtNum(r.cost.dbUs, 0),
      fmtNum(r.cost.benchUs, 0),
      fmtNum(r.cost.stmts, 2),
      r.cost.split || '-',
      fmtNum(r.cost.walB, 0),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c
      .map((v, i) => (i === 0 || i === 6 ? v.padEnd(widths[i]) : v.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  out.write(
    [
      '',
      'Cost per item (CPU microseconds per item over the measured windows: srv = Willow server(s), db = every PostgreSQL ' +
        'process, bench = this process incl. pg-boss/graphile; stmts = statements sent per item, split B=BEGIN C=COMMIT ' +
        'S=SELECT I=INSERT U=UPDATE D=DELETE W=WITH O=other; wal = WAL bytes per item)',
      line(header),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...cells.map(line),
      '',
    ].join('\n') + '\n',
  );
}

function report(settings, rows, byKey, started) {
  printTable(
    `Willow on PostgreSQL vs pg-boss and graphile-worker, same database, same run; ${settings.warmupMs / 1000}s warm-up + ` +
      `${settings.durationMs / 1000}s measured per row; latency = one request/call (or one dequeue+ack cycle); srv = Willow ` +
      'server(s), % of one core (x2: both summed); pg-boss and graphile-worker run in the bench process (bench-cpu)',
    rows,
  );
  const out = process.stdout;
  printCosts(rows, out);
  out.write('Ratios Willow on PostgreSQL / pg-boss (goal >= 1.0)\n');
  const line = (label, a, b, goal) => {
    if (!a || !b) return;
    const v = a.rate / b.rate;
    const verdict = goal === undefined ? '' : v >= goal ? '  OK' : '  BELOW GOAL';
    out.write(`  ${label.padEnd(84)} ${v.toFixed(2)}${goal === undefined ? '' : `  (goal >= ${goal.toFixed(1)})`}${verdict}\n`);
  };
  for (const [key, label] of [
    ['w1', 'one instance'],
    ['w2', 'two instances'],
  ]) {
    line(`enqueue single (${label}) / pg-boss send()`, byKey[`enqueue_${key}`], byKey.enqueue_boss, 1.0);
    line(`batch enqueue x100 (${label}) / pg-boss insert() x100`, byKey[`batch_${key}`], byKey.batch_boss, 1.0);
    line(`dequeue+ack single (${label}) / pg-boss fetch()+complete(id)`, byKey[`dequeue_${key}`], byKey.dequeue_boss, 1.0);
    line(`dequeue-batch+ack-batch x100 (${label}) / pg-boss fetch(100)+complete(ids)`, byKey[`dequeueBatch_${key}`], byKey.dequeueBatch_boss, 1.0);
  }
  const quota = INSTANCE_CPU === undefined ? '' : `; each instance limited to ${INSTANCE_CPU} cores, as on hosts of their own`;
  out.write(`Two instances / one instance (issue 18: two instances never slower than one; goal >= 1.0${quota})\n`);
  for (const k of ['enqueue', 'batch', 'dequeue', 'dequeueBatch', 'collapse']) {
    line(`${k}: two instances / one instance`, byKey[`${k}_w2`], byKey[`${k}_w1`], 1.0);
  }
  out.write('Other ratios (no goal)\n');
  line('enqueue single (one instance) / graphile-worker addJob()', byKey.enqueue_w1, byKey.enqueue_graphile);
  line('batch enqueue x100 (one instance) / graphile-worker addJobs() x100', byKey.batch_w1, byKey.batch_graphile);
  line('dequeue+ack single (one instance) / graphile-worker run()', byKey.dequeue_w1, byKey.dequeue_graphile);
  line('dequeue-batch+ack-batch (one instance) / graphile-worker run() batched', byKey.dequeueBatch_w1, byKey.dequeueBatch_graphile);
  for (const k of ['enqueue', 'batch', 'dequeue', 'dequeueBatch', 'collapse']) {
    line(`${k}: one instance on PostgreSQL / embedded store`, byKey[`${k}_w1`], byKey[`${k}_emb`]);
  }
  const mb = (b) => (b === undefined ? '-' : `${fmtNum(b / 1048576, 0)} MB`);
  out.write(`Table sizes after the dequeue rows: Willow x1 ${mb(byKey.size_w1)}, Willow x2 ${mb(byKey.size_w2)}, pg-boss ${mb(byKey.size_boss)}\n`);
  out.write(`postgres: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

async function main() {
  const settings = benchSettings();
  const started = Date.now();
  const rows = [];
  const byKey = {};
  try {
    await run(settings, rows, byKey);
  } finally {
    if (rows.length > 0) report(settings, rows, byKey, started);
  }
  if (rows.some((r) => r.ok === false)) {
    process.stderr.write('postgres: some rows had errors or ran dry (see above)\n');
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`postgres bench failed: ${(error && error.stack) || error}\n`);
    process.exit(1);
  });
}

module.exports = { main };
