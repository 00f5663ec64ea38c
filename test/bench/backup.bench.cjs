'use strict';
/**
 * Online backup (GET /v1/backup) of a filled embedded store: how long the copy takes, how large it is, and what it
 * does to requests served meanwhile.
 *
 *   fill       BENCH_BACKUP_ITEMS items (default 500,000) over 10,000 channels by batch enqueue (sync=full)
 *   quiet      enqueue single, 10 clients, for BENCH_SECONDS / 2: rate and latency without a backup
 *   backup     the same load, with a backup downloaded (to nowhere) once it runs: the copy's time and bytes, and
 *              the rate and latency of the enqueues that started while it was being taken and sent
 *
 * Run: node test/bench/run.cjs backup
 */
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { startServer, benchSettings, printTable, fmtNum, summarize } = require('./lib/server.cjs');
const { createClient, sleep } = require('./lib/http.cjs');
const queueBench = require('./queue.bench.cjs');

const ITEMS = Number(process.env.BENCH_BACKUP_ITEMS || 500_000);
const CLIENTS = 10;

/** Downloads GET /v1/backup, counting its bytes; resolves with the status, the bytes and the milliseconds taken. */
function download(url) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    http
      .get(`${url}/v1/backup`, (res) => {
        let bytes = 0;
        res.on('data', (chunk) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - started }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Enqueues from CLIENTS clients until `until()` holds; every request's start time and latency (ms). */
async function enqueueLoad(client, until) {
  const samples = [];
  let n = 0;
  const body = () => `{"KeyValues":{"ch":"load${n++}"},"Data":${JSON.stringify(queueBench.DATA)},"Updateable":false}`;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!until()) {
        const start = performance.now();
        const res = await client.request('POST', '/v1/queues/load/items', body());
        if (res.status !== 201) throw new Error(`enqueue: ${res.status} ${JSON.stringify(res.body)}`);
        samples.push({ start, ms: performance.now() - start });
      }
    }),
  );
  return samples;
}

function row(name, samples, seconds, notes) {
  const s = summarize(samples.map((x) => x.ms));
  return { name, rate: samples.length / seconds, p50: s.p50, p99: s.p99, notes: `n=${samples.length} max=${fmtNum(s.max, 1)} ms ${notes}` };
}

async function main() {
  const settings = benchSettings();
  const seconds = settings.durationMs / 1000 / 2;
  const server = await startServer({ sync: 'full' });
  const client = createClient(server.url, { maxSockets: CLIENTS + 8 });
  try {
    await queueBench.createQueue(client, 'work');
    await queueBench.createQueue(client, 'load');
    const filled = await queueBench.fill(client, 'work', ITEMS, (i) => `c${i % 10_000}`);
    const dbBytes = ['willow.db', 'willow.db-wal']
      .map((f) => path.join(server.dataDir, f))
      .filter((f) => fs.existsSync(f))
      .reduce((sum, f) => sum + fs.statSync(f).size, 0);
    process.stdout.write(`backup: ${fmtNum(ITEMS, 0)} items in ${fmtNum(filled.seconds, 1)} s; willow.db + WAL ${fmtNum(dbBytes / 1048576, 1)} MB\n`);

    let end = performance.now() + seconds * 1000;
    const quiet = await enqueueLoad(client, () => performance.now() >= end);

    end = Infinity;
    const load = enqueueLoad(client, () => performance.now() >= end);
    await sleep(500);
    const window = { from: performance.now(), to: 0 };
    const copy = await download(server.url);
    window.to = performance.now();
    end = performance.now() + 500;
    const during = (await load).filter((x) => x.start >= window.from && x.start < window.to);
    if (copy.status !== 200) throw new Error(`backup: HTTP ${copy.status}`);
    const leftovers = fs.readdirSync(server.dataDir).filter((f) => f.includes('backup'));

    const rows = [
      row('enqueue single, 10 clients, no backup', quiet, seconds, ''),
      row('enqueue single, 10 clients, while a backup is taken and sent', during, (window.to - window.from) / 1000, ''),
      {
        name: 'GET /v1/backup (taken and downloaded)',
        rate: NaN,
        p50: copy.ms,
        p99: NaN,
        notes: `${fmtNum(copy.bytes / 1048576, 1)} MB (${fmtNum(copy.bytes / 1048576 / (copy.ms / 1000), 0)} MB/s); temporary files left: ${leftovers.length}`,
      },
    ];
    printTable(`Online backup of ${fmtNum(ITEMS, 0)} items (sync=full); the backup row's p50 is how long it took`, rows);
  } finally {
    client.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
