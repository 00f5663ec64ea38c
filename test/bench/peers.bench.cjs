'use strict';
/**
 * Willow against a peer: BullMQ on a private redis-server, measured in the same run on the same host.
 *
 *   redis-server     started here on a free 127.0.0.1 port: --appendonly yes --appendfsync everysec --save ""
 *                    --dir <tmp> (never the machine's Redis on 6379); stopped at the end.
 *   BullMQ add       Queue.add(), 50 in flight (one Queue, its one ioredis connection, as an app would).
 *   BullMQ addBulk   Queue.addBulk() of 100 jobs, 50 in flight; jobs/s.
 *   BullMQ Worker    concurrency 50, no-op processor, over pre-added jobs; jobs/s completed. Before each slice
 *                    (the worker paused) the backlog is topped up to 2x what the slice would take at the last rate.
 *   Willow           the queue bench's batch-enqueue (x100, 50 in flight, over BENCH_QUEUE_CHANNELS channels) and
 *                    dequeue-batch+ack-batch (Count 100, 50 consumers) workloads, one server per WILLOW_SYNC mode
 *                    in BENCH_SYNC (default full,normal).
 *
 * redis-server and the Willow servers run side by side, and the rows whose ratios matter are measured interleaved
 * (lib/measure.cjs: alternating BENCH_SLICE_SECONDS slices after each one's warm-up): producers (add, addBulk,
 * Willow batch enqueue) in one group, consumers (Worker, Willow dequeue-batch+ack-batch) in another, so a change in
 * host load during the run hits both sides alike.
 *
 * Jobs carry the same ~100-byte JSON payload as Willow items and `removeOnComplete/removeOnFail: true`, the
 * counterpart of Willow removing an acked item. "srv" columns are redis-server for BullMQ rows and the Willow server
 * for Willow rows (redis CPU includes its forked children, e.g. an AOF rewrite); BullMQ also does much of its work
 * in this process (bench-cpu in the notes; per-srv+client-cpu-s counts both).
 *
 * Settings: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_SLICE_SECONDS (2), BENCH_SYNC (full,normal),
 * BENCH_QUEUE_CHANNELS (10000), BENCH_BULL_PREFILL (jobs pre-added for the Worker, 100000), BENCH_CPU_PROF=1 (profile
 * the Willow rows). Run: node test/bench/run.cjs peers
 */
const { performance } = require('node:perf_hooks');
const { withServer, benchSettings, printTable, fmtNum } = require('./lib/server.cjs');
const { startRedis } = require('./lib/redis.cjs');
const { sleep } = require('./lib/http.cjs');
const { interleave } = require('./lib/measure.cjs');
const queueBench = require('./queue.bench.cjs');
const { summariseProfile, printProfileSummary } = require('./lib/cpuprofile.cjs');

const CLIENTS = 50;
const BULK = 100;
const WORKER_CONCURRENCY = 50;
const JOB_OPTS = { removeOnComplete: true, removeOnFail: true };

function loadBullmq() {
  try {
    return require('bullmq');
  } catch (error) {
    throw new Error(`bullmq is not installed (npm install --save-dev bullmq): ${error.message}`);
  }
}

/** redis-server as a measurement target: its CPU (with forked children) and RSS are the "srv" columns. */
function redisTarget(redis) {
  return {
    sync: 'redis',
    url: null,
    cpuSeconds: redis.cpuSeconds,
    rssMb: redis.rssMb,
    profileStart: () => {},
    profileStop: async () => null,
  };
}

function bullAdd(target, queue) {
  return {
    name: `BullMQ Queue.add, ${CLIENTS} in flight [jobs/s]`,
    target,
    client: queue,
    clientIsPartOfSystem: true,
    iteration: (q) => async () => {
      await q.add('job', queueBench.DATA, JOB_OPTS);
    },
  };
}

function bullAddBulk(target, queue) {
  const jobs = Array.from({ length: BULK }, () => ({ name: 'job', data: queueBench.DATA, opts: JOB_OPTS }));
  return {
    name: `BullMQ Queue.addBulk x${BULK}, ${CLIENTS} in flight [jobs/s]`,
    target,
    client: queue,
    clientIsPartOfSystem: true,
    unit: 'items',
    iteration: (q) => async () => {
      await q.addBulk(jobs);
      return BULK;
    },
  };
}

/** Add `n` jobs with addBulk (1000 per call, 8 calls in flight). */
async function prefill(queue, n) {
  const chunk = 1000;
  const jobs = Array.from({ length: chunk }, () => ({ name: 'job', data: queueBench.DATA, opts: JOB_OPTS }));
  let left = n;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left > 0) {
        const k = Math.min(chunk, left);
        left -= k;
        await queue.addBulk(k === chunk ? jobs : jobs.slice(0, k));
      }
    }),
  );
}

/**
 * Worker at concurrency 50 with a no-op processor over pre-added jobs. Not a closed loop of ours: a slice resumes
 * the worker, counts its 'completed' events for the slice, and pauses it again (pause lets active jobs finish; those
 * completions fall outside the slice and are not counted).
 */
async function bullWorker(target, bullmq, connection, queue) {
  const initial = Number(process.env.BENCH_BULL_PREFILL || 100_000);
  const t0 = performance.now();
  await prefill(queue, initial);
  process.stdout.write(`  pre-added ${fmtNum(initial, 0)} jobs in ${fmtNum((performance.now() - t0) / 1000, 1)} s\n`);
  let completed = 0;
  let failed = 0;
  let counting = false;
  let inSlice = 0;
  let toppedUp = 0;
  let left = null;
  /** Jobs/s of the last warm-up half or slice: the backlog is kept at twice what the next slice could take at it. */
  let lastRate = 0;
  const keepBacklog = async (ms) => {
    const need = Math.ceil(lastRate * (ms / 1000) * 2);
    const waiting = await queue.getWaitingCount();
    if (waiting >= need) return;
    const add = Math.ceil((need - waiting) / 1000) * 1000;
    await prefill(queue, add);
    toppedUp += add;
  };
  const worker = new bullmq.Worker(queue.name, async () => {}, { connection, concurrency: WORKER_CONCURRENCY, autorun: false });
  worker.on('completed', () => {
    completed++;
    if (counting) inSlice++;
  });
  worker.on('failed', () => failed++);
  worker.on('error', (e) => process.stderr.write(`  worker error: ${e && e.message}\n`));
  return {
    name: `BullMQ Worker concurrency ${WORKER_CONCURRENCY}, no-op [jobs/s]`,
    target,
    clientIsPartOfSystem: true,
    custom: {
      async warmup(ms) {
        worker.run().catch((e) => process.stderr.write(`  worker run: ${e && e.message}\n`));
        // The warm-up's second half (after the worker got going) gives the rate.
        await sleep(ms / 2);
        const half = { at: performance.now(), completed };
        await sleep(ms / 2);
        lastRate = (completed - half.completed) / Math.max(0.001, (performance.now() - half.at) / 1000);
        await worker.pause();
      },
      // Topped up while paused, before each slice and outside its window (a slice can run faster than the warm-up).
      beforeSlice: keepBacklog,
      async slice(ms) {
        inSlice = 0;
        counting = true;
        const at = performance.now();
        worker.resume();
        await sleep(ms);
        counting = false;
        const count = inSlice;
        lastRate = count / Math.max(0.001, (performance.now() - at) / 1000);
        await worker.pause();
        return { count };
      },
      async finish() {
        left = await queue.getWaitingCount();
        await worker.close();
      },
    },
    notes: () => [`failed=${failed}`, `waiting-after=${left}${left === 0 ? ' (DRAINED: rate is a lower bound)' : ''}`, `topped-up=${toppedUp}`],
    after: async (row) => {
      row.ok = row.ok && failed === 0 && left > 0;
    },
  };
}

/**
 * Every system up at once (redis-server and one Willow server per sync mode), then two interleaved groups:
 * producers (BullMQ add, addBulk, Willow batch enqueue) and consumers (BullMQ Worker, Willow dequeue-batch+ack-batch
 * over the backlog the batch enqueue left).
 */
async function run(settings, rows, byKey) {
  const bullmq = loadBullmq();
  const redis = await startRedis();
  process.stdout.write(
    `peers: redis-server ${redis.version} on 127.0.0.1:${redis.port} (pid ${redis.pid}, dir ${redis.dir}), ` +
      `bullmq ${require('bullmq/package.json').version}\n`,
  );
  const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
  const target = redisTarget(redis);
  const queues = [];
  const newQueue = (name) => {
    const q = new bullmq.Queue(name, { connection });
    queues.push(q);
    return q;
  };
  const withServers = async (modes, fn, servers = {}) => {
    if (modes.length === 0) return fn(servers);
    const [mode, ...rest] = modes;
    return withServer({ sync: mode }, (server) => withServers(rest, fn, { ...servers, [mode]: server }));
  };
  try {
    await withServers(settings.sync, async (servers) => {
      process.stdout.write(`peers: producers (interleaved): BullMQ add, addBulk; Willow batch enqueue (${settings.sync.join(', ')})\n`);
      const batches = {};
      for (const sync of settings.sync) {
        batches[sync] = await queueBench.batchEnqueue(servers[sync], {
          name: `Willow batch enqueue x${queueBench.BATCH}, ${CLIENTS} in flight [items/s] (sync=${sync})`,
        });
      }
      const producers = await interleave(settings, [
        bullAdd(target, newQueue('bench-add')),
        bullAddBulk(target, newQueue('bench-addbulk')),
        ...settings.sync.map((sync) => batches[sync]),
      ]);
      [byKey.bullAdd, byKey.bullAddBulk] = producers;
      settings.sync.forEach((sync, i) => (byKey[`willowBatch_${sync}`] = producers[2 + i]));
      rows.push(...producers);

      process.stdout.write(`peers: consumers (interleaved): BullMQ Worker; Willow dequeue-batch+ack-batch (${settings.sync.join(', ')})\n`);
      const consumers = await interleave(settings, [
        await bullWorker(target, bullmq, connection, newQueue('bench-worker')),
        ...settings.sync.map((sync) =>
          queueBench.dequeueBatchAck(servers[sync], settings, batches[sync].backlog, {
            name: `Willow dequeue-batch+ack-batch x${queueBench.DEQUEUE_COUNT}, ${CLIENTS} consumers [items/s] (sync=${sync})`,
          }),
        ),
      ]);
      byKey.bullWorker = consumers[0];
      settings.sync.forEach((sync, i) => (byKey[`willowDequeue_${sync}`] = consumers[1 + i]));
      rows.push(...consumers);
      process.stdout.write(`  redis AOF at the end: ${fmtNum(redis.aofBytes() / 1048576, 0)} MB\n`);
    });
  } finally {
    for (const q of queues) await q.close().catch(() => {});
    await redis.stop();
  }
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
    process.stderr.write('peers: some rows had errors or ran dry (see above)\n');
    process.exitCode = 1;
  }
}

function report(settings, rows, byKey, started) {
  printTable(
    `Willow vs BullMQ (redis-server AOF appendfsync everysec), same host, same run; ${settings.warmupMs / 1000}s warm-up + ` +
      `${settings.durationMs / 1000}s measured per row; latency = one call/request; srv = redis-server or Willow server`,
    rows,
  );
  const out = process.stdout;
  out.write('Ratios Willow / BullMQ\n');
  const line = (label, a, b, goal) => {
    if (!a || !b) return;
    const v = a.rate / b.rate;
    const verdict = goal === undefined ? '' : v >= goal ? '  OK' : '  BELOW GOAL';
    out.write(`  ${label.padEnd(72)} ${v.toFixed(2)}${goal === undefined ? '' : `  (goal >= ${goal.toFixed(1)})`}${verdict}\n`);
  };
  // The goals of the throughput issue: batch enqueue at least 1.2x Queue.add, consume at least a Worker's rate.
  for (const sync of settings.sync) {
    const judged = sync === 'full';
    line(`batch enqueue x100 (sync=${sync}) / BullMQ Queue.add 50 in flight`, byKey[`willowBatch_${sync}`], byKey.bullAdd, judged ? 1.2 : undefined);
    line(`batch enqueue x100 (sync=${sync}) / BullMQ addBulk x100`, byKey[`willowBatch_${sync}`], byKey.bullAddBulk);
    line(`dequeue-batch+ack-batch (sync=${sync}) / BullMQ Worker concurrency 50`, byKey[`willowDequeue_${sync}`], byKey.bullWorker, judged ? 1.0 : undefined);
  }
  out.write('  (goals are judged on sync=full, Willow\'s durable default; sync=normal is the closer match to appendfsync everysec)\n');
  const profiled = rows.filter((row) => row.profiles && row.profiles.length > 0);
  if (profiled.length > 0) {
    out.write('\nCPU profiles of the Willow server over each measured window (files kept):\n');
    for (const row of profiled) {
      printProfileSummary(row.name, summariseProfile(row.profiles), out);
      out.write(`   files: ${require('node:path').dirname(row.profiles[0])}/ (${row.profiles.length})\n`);
    }
  }
  out.write(`peers: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`peers bench failed: ${(error && error.stack) || error}\n`);
    process.exit(1);
  });
}

module.exports = { main };
