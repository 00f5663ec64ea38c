'use strict';
/**
 * Dispatch views under many large distinct dequeue queries. Each distinct Query a consumer sends becomes a view in
 * the queue's dispatch index, and every new channel is matched against every view; a Query is at most
 * MAX_QUERY_CHARS (16384) characters of JSON (400 above) and views are bounded by the view budget. This bench shows
 * what large queries cost the server in memory and in enqueue latency.
 *
 * Every scenario runs on a fresh server (embedded store, sync=normal, temp data dir):
 *   1. create a queue and CHANNELS channels (one item each, tags {os: "linux", n: "<i>", x: "c<i, 7 digits>"}, by
 *      batch enqueue);
 *   2. read the server's RSS (VmRSS) and its live memory: V8 heap used + external right after a full GC, which the
 *      server runs on SIGURG thanks to lib/gc-preload.cjs (RSS alone also counts garbage not yet collected, e.g. of
 *      refused 1 MB bodies, and pages V8 has not handed back);
 *   3. send the scenario's distinct dequeue queries one after the other with Wait 0, each
 *      {"Where": {"os": "linux", "x": {"$nin": ["q<k><j>", ...]}}} filled up to the scenario's size with values
 *      unique to query k (see queryJson). Every channel carries an `x` not in the list, so matching a channel against
 *      such a view scans the whole list (the worst case of a view of that size); a query that is accepted also
 *      leases the oldest item, which is harmless here;
 *   4. read both again, then ENQUEUES sequential enqueues each creating a NEW channel (so each one is matched
 *      against every live view), timed one by one (p50/p99 include one HTTP round trip on 127.0.0.1), and the RSS
 *      once more.
 *
 *   no views           no queries: the reference enqueue latency and RSS
 *   16 KiB x 30/x 300  distinct queries just under the limit (accepted: 200 or 204)
 *   1 MB x 10          queries of 1,000,000 characters: refused with 400, so no view is kept (live memory
 *                      stays; RSS still shows the not yet collected garbage of parsing the bodies)
 *
 * Settings: BENCH_VIEWS_CHANNELS (2000), BENCH_VIEWS_ENQUEUES (500), BENCH_VIEWS_COUNTS (distinct 16 KiB queries per
 * scenario, default "30,300"; empty: none), BENCH_VIEWS_BIG (number of ~1 MB queries, default 10; 0 skips that
 * scenario), BENCH_VIEWS_BIG_CHARS (1000000), BENCH_VIEWS_QUERY_CHARS (size of the "largest accepted" query,
 * default 16384 - 16), BENCH_VIEWS_TIMEOUT_SECONDS (60: the query phase, and then the enqueue phase, of a scenario
 * stop early once this has passed, and the row says so).
 * Run: node test/bench/run.cjs views   (or npm run bench -- views)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { withServer, summarize, fmtNum, envInt } = require('./lib/server.cjs');
const { heapAfterGc } = require('./lib/gc-heap.cjs');
const { createClient, sleep } = require('./lib/http.cjs');

const MAX_QUERY_CHARS = 16 * 1024;

const CHANNELS = envInt('BENCH_VIEWS_CHANNELS', 2000);
const ENQUEUES = envInt('BENCH_VIEWS_ENQUEUES', 500);
const COUNTS = (process.env.BENCH_VIEWS_COUNTS ?? '30,300')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map(Number);
const BIG = envInt('BENCH_VIEWS_BIG', 10);
const BIG_CHARS = envInt('BENCH_VIEWS_BIG_CHARS', 1_000_000);
const QUERY_CHARS = envInt('BENCH_VIEWS_QUERY_CHARS', MAX_QUERY_CHARS - 16);
const TIMEOUT_MS = envInt('BENCH_VIEWS_TIMEOUT_SECONDS', 60) * 1000;
const FILL_BATCH = 500;
const QUEUE = 'views';
const GC_PRELOAD = path.join(__dirname, 'lib', 'gc-preload.cjs');

/** A tag value of 8 characters, like every other value here, so a match compares content, not just lengths. */
const pad = (n, width, radix = 10) => n.toString(radix).padStart(width, '0');
const channelX = (n) => `c${pad(n, 7)}`;

/**
 * The JSON text of a Query `{"Where":{"os":"linux","x":{"$nin":["q<k><j>", ...]}}}` of at most `chars` characters (as
 * the server measures it: JSON.stringify of the Query object), as close to it as the values allow. Every value is
 * distinct across queries, as unrelated consumers' lists would be: values shared by all queries would be kept once
 * by V8 (short strings parsed from JSON are interned), which would understate what each view holds.
 */
function queryJson(k, chars) {
  const head = `{"Where":{"os":"linux","x":{"$nin":[`;
  const tail = ']}}}';
  const parts = [];
  let length = head.length + tail.length - 1;
  for (let j = 0; ; j++) {
    const v = `"q${pad(k, 3, 36)}${pad(j, 4, 36)}"`;
    if (length + 1 + v.length > chars) break;
    parts.push(v);
    length += 1 + v.length;
  }
  const json = head + parts.join(',') + tail;
  if (parts.length === 0 || json.length !== length || JSON.stringify(JSON.parse(json)).length !== length) {
    throw new Error('query size mismatch');
  }
  return json;
}

const itemJson = (n) =>
  `{"KeyValues":{"os":"linux","n":"${n}","x":"${channelX(n)}"},"Data":{"job":"bench"},"Updateable":false}`;

function expectStatus(res, ok, what) {
  if (!ok.includes(res.status)) {
    const code = res.body && typeof res.body === 'object' ? res.body.Code : undefined;
    throw new Error(`${what}: ${res.status}${code ? ` ${code}` : ''}`);
  }
  return res;
}

async function fill(client) {
  expectStatus(await client.request('POST', '/v1/queues', { Name: QUEUE }), [201], 'create queue');
  for (let start = 0; start < CHANNELS; start += FILL_BATCH) {
    const items = [];
    for (let i = start; i < Math.min(CHANNELS, start + FILL_BATCH); i++) {
      items.push(itemJson(i));
    }
    const res = await client.request('POST', `/v1/queues/${QUEUE}/items/batch`, `{"Items":[${items.join(',')}]}`);
    expectStatus(res, [200, 201], 'batch enqueue');
  }
}

/** Settle briefly so the RSS reading is not taken mid-request, then read it (MB). */
async function rss(server) {
  await sleep(300);
  return server.rssMb();
}

/**
 * The server's live JS heap plus external memory (MB) after a full garbage collection (lib/gc-preload.cjs): what
 * it still holds, without the garbage that RSS also counts until V8 collects it and hands pages back.
 */
async function liveHeapMb(server, heapFile) {
  const m = await heapAfterGc(server, heapFile, 5_000);
  return m && (m.heapUsed + m.external) / (1024 * 1024);
}

/**
 * @param {{name:string, count:number, chars:number}} scenario
 */
async function runScenario(scenario) {
  const heapFile = path.join(os.tmpdir(), `willow-views-heap-${process.pid}.json`);
  const opts = { sync: 'normal', nodeArgs: ['--expose-gc', '-r', GC_PRELOAD], env: { BENCH_HEAP_FILE: heapFile } };
  try {
    return await withServer(opts, async (server) => {
      const client = createClient(server.url, { maxSockets: 4 });
      try {
        await fill(client);
        const rssBefore = await rss(server);
        const liveBefore = await liveHeapMb(server, heapFile);
        const statuses = {};
        const dequeueMs = [];
        let sent = 0;
        let stoppedEarly = false;
        const deadline = performance.now() + TIMEOUT_MS;
        for (let k = 0; k < scenario.count; k++) {
          if (performance.now() > deadline) {
            stoppedEarly = true;
            break;
          }
          const body = `{"Query":${queryJson(k, scenario.chars)},"Wait":0}`;
          const t0 = performance.now();
          const res = await client.request('POST', `/v1/queues/${QUEUE}/items/dequeue`, body);
          dequeueMs.push(performance.now() - t0);
          sent++;
          statuses[res.status] = (statuses[res.status] || 0) + 1;
          expectStatus(res, [200, 204, 400], 'dequeue');
        }
        const rssAfterQueries = await rss(server);
        const liveAfterQueries = await liveHeapMb(server, heapFile);

        const enqueueMs = [];
        const enqueueDeadline = performance.now() + TIMEOUT_MS;
        for (let i = 0; i < ENQUEUES; i++) {
          if (performance.now() > enqueueDeadline) {
            stoppedEarly = true;
            break;
          }
          const body = itemJson(CHANNELS + i);
          const t0 = performance.now();
          const res = await client.request('POST', `/v1/queues/${QUEUE}/items`, body);
          enqueueMs.push(performance.now() - t0);
          expectStatus(res, [200, 201], 'enqueue');
        }
        const rssAfter = await rss(server);
        return {
          name: scenario.name,
          chars: scenario.chars,
          asked: scenario.count,
          sent,
          statuses,
          dequeue: summarize(dequeueMs),
          enqueue: summarize(enqueueMs),
          rssBefore,
          rssAfterQueries,
          rssAfter,
          liveBefore,
          liveAfterQueries,
          peakRss: server.peakRssMb(),
          stoppedEarly,
        };
      } finally {
        client.close();
      }
    });
  } finally {
    fs.rmSync(heapFile, { force: true });
  }
}

function printResults(rows) {
  const header = [
    'scenario',
    'query chars',
    'queries',
    '400s',
    'other answers',
    'dequeue p50 ms',
    'RSS before',
    'RSS after queries',
    'RSS after enqueues',
    'live before',
    'live after queries',
    'enqueue p50 ms',
    'enqueue p99 ms',
    'notes',
  ];
  const ms = (v) => fmtNum(v, v >= 100 ? 0 : 2);
  const cells = rows.map((r) => {
    const others = Object.entries(r.statuses)
      .filter(([s]) => s !== '400')
      .map(([s, n]) => `${n}x${s}`)
      .join(' ');
    const notes = [`peak RSS ${fmtNum(r.peakRss, 0)}`, `${r.enqueue.count} enqueues`];
    if (r.sent !== r.asked) notes.push(`only ${r.sent} of ${r.asked} queries sent`);
    if (r.stoppedEarly) notes.push('stopped early: BENCH_VIEWS_TIMEOUT_SECONDS');
    return [
      r.name,
      r.asked ? fmtNum(r.chars, 0) : '-',
      String(r.sent),
      String(r.statuses[400] || 0),
      others || '-',
      r.sent ? ms(r.dequeue.p50) : '-',
      fmtNum(r.rssBefore, 0),
      fmtNum(r.rssAfterQueries, 0),
      fmtNum(r.rssAfter, 0),
      fmtNum(r.liveBefore, 0),
      fmtNum(r.liveAfterQueries, 0),
      ms(r.enqueue.p50),
      ms(r.enqueue.p99),
      notes.join(', '),
    ];
  });
  const right = header.map((h, i) => i > 0 && i < header.length - 1 && h !== 'other answers');
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c
      .map((v, i) => (right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const title =
    `Dispatch views: ${fmtNum(CHANNELS, 0)} channels, then distinct dequeue queries (Wait 0), ` +
    `then ${ENQUEUES} enqueues into new channels (sync=normal)`;
  const legend =
    'MB: RSS = server VmRSS; live = V8 heap used + external right after a full GC (what the server still holds). ' +
    'Enqueue latency is per request, one in flight, over HTTP on 127.0.0.1.';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  process.stdout.write(['', title, line(header), rule, ...cells.map(line), legend, ''].join('\n') + '\n');
}

async function main() {
  const scenarios = [{ name: 'no views', count: 0, chars: 0 }];
  for (const count of COUNTS) {
    if (!Number.isInteger(count) || count < 0) throw new Error(`BENCH_VIEWS_COUNTS: bad count "${count}"`);
    scenarios.push({ name: `${fmtNum(QUERY_CHARS / 1024, 0)} KiB x ${count}`, count, chars: QUERY_CHARS });
  }
  const bigMb = fmtNum(BIG_CHARS / 1_000_000, BIG_CHARS % 1_000_000 ? 1 : 0);
  if (BIG > 0) scenarios.push({ name: `${bigMb} MB x ${BIG}`, count: BIG, chars: BIG_CHARS });
  const rows = [];
  for (const scenario of scenarios) {
    const t0 = performance.now();
    const row = await runScenario(scenario);
    rows.push(row);
    process.stdout.write(`${scenario.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  printResults(rows);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
