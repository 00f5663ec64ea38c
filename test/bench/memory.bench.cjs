'use strict';
/**
 * Server memory per idle channel and with a large backlog. An idle channel holds one waiting item that nobody
 * dequeues; what it costs is the store's row plus what the in-memory dispatch index keeps for it (the channel, its
 * place in the views of the queries dequeued so far, the loader's bookkeeping).
 *
 * Every scenario runs on a fresh server (embedded store, sync=normal, temp data dir) started with
 * lib/gc-preload.cjs, so each reading is taken right after a full GC: RSS (VmRSS) and live memory (V8 heap used +
 * external), the second being what the JS side still holds, without garbage not collected yet.
 *
 *   idle channels   create a queue and read memory (0 channels); create CHANNELS channels by batch enqueue (1000
 *                   items per request, each item its own channel {"ch":"c<i>"}) and read it again; then one plain
 *                   dequeue (Wait 0; the match-all view over every channel) and one with a query matching every
 *                   channel ({"Where":{"ch":{"$exists":true}}}: a second view), reading memory after each. Each
 *                   row gives the growth over the 0-channel reading per channel: (RSS - RSS at 0) / CHANNELS bytes
 *                   (goal <= 1024 at 100k) and the same for live memory.
 *   1M waiting      MILLION items in 1,000 channels by batch enqueue (1000 per request, 8 in flight); RSS and live
 *                   memory after the fill (goal: RSS <= 200 MiB) and the peak RSS.
 *
 * Settings: BENCH_MEMORY_CHANNELS (100000), BENCH_MEMORY_MILLION (items of the second scenario, default 1000000;
 * 0 skips it), BENCH_MEMORY_SYNC (WILLOW_SYNC, default normal).
 * Run: node test/bench/run.cjs memory   (or npm run bench -- memory)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { withServer, fmtNum, envInt, printGrid } = require('./lib/server.cjs');
const { heapAfterGc } = require('./lib/gc-heap.cjs');
const { createClient, sleep } = require('./lib/http.cjs');

const CHANNELS = envInt('BENCH_MEMORY_CHANNELS', 100_000);
const MILLION = envInt('BENCH_MEMORY_MILLION', 1_000_000);
const MILLION_CHANNELS = 1000;
const SYNC = process.env.BENCH_MEMORY_SYNC || 'normal';
const FILL_BATCH = 1000;
const FILL_IN_FLIGHT = 8;
const GC_PRELOAD = path.join(__dirname, 'lib', 'gc-preload.cjs');
const MiB = 1024 * 1024;
/** Per idle channel at 100k channels (the issue's goal). */
const GOAL_BYTES_PER_CHANNEL = 1024;
const GOAL_MILLION_MIB = 200;

const itemJson = (channel) => `{"KeyValues":{"ch":"${channel}"},"Data":{"job":"bench"},"Updateable":false}`;

function expectStatus(res, ok, what) {
  if (!ok.includes(res.status)) {
    const code = res.body && typeof res.body === 'object' ? res.body.Code : undefined;
    throw new Error(`${what}: ${res.status}${code ? ` ${code}` : ''}`);
  }
  return res;
}

/** `total` items, item i in channel `channelOf(i)`, FILL_BATCH per request with FILL_IN_FLIGHT requests in flight. */
async function fill(client, queue, total, channelOf) {
  let next = 0;
  async function worker() {
    while (next < total) {
      const from = next;
      const n = Math.min(FILL_BATCH, total - from);
      next += n;
      const parts = new Array(n);
      for (let k = 0; k < n; k++) parts[k] = itemJson(channelOf(from + k));
      const res = await client.request('POST', `/v1/queues/${queue}/items/batch`, `{"Items":[${parts.join(',')}]}`);
      expectStatus(res, [200], 'batch enqueue');
    }
  }
  await Promise.all(Array.from({ length: FILL_IN_FLIGHT }, worker));
}

/**
 * Runs a full GC in the server (lib/gc-preload.cjs) and reads its memory right after: {rss, live} in bytes, live =
 * V8 heap used + external. Settles briefly first so no request is mid-flight.
 */
async function memory(server, heapFile) {
  await sleep(300);
  const m = await heapAfterGc(server, heapFile, 10_000);
  if (!m) throw new Error('the server did not report its memory (gc-preload)');
  return { rss: server.rssBytes(), live: m.heapUsed + m.external };
}

async function withGcServer(fn) {
  const heapFile = path.join(os.tmpdir(), `willow-memory-heap-${process.pid}.json`);
  const opts = { sync: SYNC, nodeArgs: ['--expose-gc', '-r', GC_PRELOAD], env: { BENCH_HEAP_FILE: heapFile } };
  try {
    return await withServer(opts, (server) => fn(server, () => memory(server, heapFile)));
  } finally {
    fs.rmSync(heapFile, { force: true });
  }
}

/** A GC-reading server (`withGcServer`) holding the new queue `queue`, with a client to fill it. */
async function withQueue(queue, fn) {
  return withGcServer(async (server, read) => {
    const client = createClient(server.url, { maxSockets: FILL_IN_FLIGHT + 2 });
    try {
      expectStatus(await client.request('POST', '/v1/queues', { Name: queue }), [201], 'create queue');
      return await fn(server, read, client);
    } finally {
      client.close();
    }
  });
}

async function idleChannels() {
  const queue = 'idle';
  return withQueue(queue, async (server, read, client) => {
    const rows = [{ name: '0 channels', channels: 0, ...(await read()) }];
    const t0 = performance.now();
    await fill(client, queue, CHANNELS, (i) => `c${i}`);
    const seconds = (performance.now() - t0) / 1000;
    rows.push({ name: `${fmtNum(CHANNELS, 0)} idle channels, no view`, channels: CHANNELS, ...(await read()), notes: `fill ${fmtNum(seconds, 1)} s` });
    const dequeue = async (body) =>
      expectStatus(await client.request('POST', `/v1/queues/${queue}/items/dequeue`, body), [200], 'dequeue');
    await dequeue('{"Wait":0}');
    rows.push({ name: '+ 1 view (plain dequeue)', channels: CHANNELS, ...(await read()) });
    await dequeue('{"Query":{"Where":{"ch":{"$exists":true}}},"Wait":0}');
    rows.push({ name: '+ 2 views (dequeue with a query)', channels: CHANNELS, ...(await read()) });
    rows.peak = server.peakRssMb();
    return rows;
  });
}

async function millionWaiting() {
  const queue = 'million';
  return withQueue(queue, async (server, read, client) => {
    const before = await read();
    const t0 = performance.now();
    await fill(client, queue, MILLION, (i) => `c${i % MILLION_CHANNELS}`);
    const seconds = (performance.now() - t0) / 1000;
    const after = await read();
    const dbBytes = fs.readdirSync(server.dataDir).reduce((sum, f) => sum + fs.statSync(path.join(server.dataDir, f)).size, 0);
    return { before, after, seconds, peak: server.peakRssMb(), dbMb: dbBytes / MiB };
  });
}

function printIdle(rows) {
  const base = rows[0];
  const header = ['idle channels', 'RSS MiB', 'live MiB', 'RSS B/channel', 'live B/channel', 'notes'];
  /** Growth of `field` over the 0-channel reading, per channel. */
  const per = (r, field) => (r.channels ? fmtNum((r[field] - base[field]) / r.channels, 0) : '-');
  const cells = rows.map((r) => [r.name, fmtNum(r.rss / MiB, 1), fmtNum(r.live / MiB, 1), per(r, 'rss'), per(r, 'live'), r.notes || '']);
  printTable(`Memory per idle channel (one waiting item each; sync=${SYNC}; after a full GC)`, header, cells);
  const last = rows[1];
  const perChannel = (last.rss - base.rss) / last.channels;
  process.stdout.write(
    `  RSS per idle channel, no view: ${fmtNum(perChannel, 0)} B (goal <= ${GOAL_BYTES_PER_CHANNEL}) ` +
      `${perChannel <= GOAL_BYTES_PER_CHANNEL ? 'OK' : 'ABOVE GOAL'}; peak RSS ${fmtNum(rows.peak, 0)} MiB\n`,
  );
}

function printMillion(m) {
  const header = ['1M waiting', 'RSS MiB', 'live MiB', 'notes'];
  const cells = [
    ['before the fill', fmtNum(m.before.rss / MiB, 1), fmtNum(m.before.live / MiB, 1), ''],
    [
      `${fmtNum(MILLION, 0)} items in ${MILLION_CHANNELS} channels`,
      fmtNum(m.after.rss / MiB, 1),
      fmtNum(m.after.live / MiB, 1),
      `fill ${fmtNum(m.seconds, 1)} s, peak RSS ${fmtNum(m.peak, 0)} MiB, db ${fmtNum(m.dbMb, 0)} MiB`,
    ],
  ];
  printTable(`Memory with ${fmtNum(MILLION, 0)} waiting items (sync=${SYNC}; after a full GC)`, header, cells);
  const rss = m.after.rss / MiB;
  process.stdout.write(`  RSS with ${fmtNum(MILLION, 0)} waiting: ${fmtNum(rss, 0)} MiB (goal <= ${GOAL_MILLION_MIB}) ${rss <= GOAL_MILLION_MIB ? 'OK' : 'ABOVE GOAL'}\n`);
}

/** Numbers right-aligned: every column but the first (names) and the last (notes). */
function printTable(title, header, cells) {
  printGrid(title, header, header.map((h, i) => i > 0 && i < header.length - 1), cells);
}

async function main() {
  const t0 = performance.now();
  printIdle(await idleChannels());
  process.stdout.write(`idle channels: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (MILLION > 0) {
    const t1 = performance.now();
    printMillion(await millionWaiting());
    process.stdout.write(`1M waiting: ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
