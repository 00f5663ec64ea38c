'use strict';
/**
 * Dispatch views under many large distinct dequeue queries. Each distinct Query a consumer sends becomes a view in
 * the queue's dispatch index, and every new channel is matched against every view; a Query is at most
 * MAX_QUERY_CHARS (16384) characters of JSON (400 above) and views are bounded by the view budget. This bench shows
 * what large queries cost the server in memory and in enqueue latency.
 *
 * Every scenario runs on a fresh server (embedded store, sync=normal, temp data dir):
 *   1. create a queue and CHANNELS channels (one item each, tags {os: "linux", n: i, x: "c<i>"}, batch enqueue);
 *   2. read the server's RSS (VmRSS);
 *   3. send the scenario's distinct dequeue queries one after the other with Wait 0, each
 *      {"Where": {"os": "linux", "x": {"$nin": ["q<k>", "v0", "v1", ...]}}} padded to the scenario's size; the first
 *      value makes each query distinct. Every channel carries an `x` not in the list, so matching a channel against
 *      such a view scans the whole list (the worst case of a view of that size); a query that is accepted also
 *      leases the oldest item, which is harmless here;
 *   4. read the RSS again, then ENQUEUES sequential enqueues each creating a NEW channel (so each one is matched
 *      against every live view), timed one by one (p50/p99 include one HTTP round trip on 127.0.0.1), and the RSS
 *      once more.
 *
 *   no views           no queries: the reference enqueue latency and RSS
 *   16 KiB x 30/x 300  distinct queries just under the limit (accepted: 200 or 204)
 *   1 MiB x 10         queries of about 1,000,000 characters: refused with 400, so no view is kept (what RSS still
 *                      gains is the heap that parsing the bodies took)
 *
 * Settings: BENCH_VIEWS_CHANNELS (2000), BENCH_VIEWS_ENQUEUES (500), BENCH_VIEWS_COUNTS (distinct 16 KiB queries per
 * scenario, default "30,300"; empty: none), BENCH_VIEWS_BIG (number of ~1 MB queries, default 10; 0 skips that
 * scenario), BENCH_VIEWS_BIG_CHARS (1000000), BENCH_VIEWS_QUERY_CHARS (size of the "largest accepted" query,
 * default 16384 - 16), BENCH_VIEWS_TIMEOUT_SECONDS (60: the query phase, and then the enqueue phase, of a scenario
 * stop early once this has passed, and the row says so).
 * Run: node test/bench/run.cjs views   (or npm run bench -- views)
 */
const { performance } = require('node:perf_hooks');
const { withServer, summarize, fmtNum } = require('./lib/server.cjs');
const { createClient, sleep } = require('./lib/http.cjs');

const MAX_QUERY_CHARS = 16 * 1024;

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer (got "${raw}")`);
  return n;
}

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
const DATA_JSON = '{"job":"bench"}';

/**
 * The JSON text of a Query `{"Where":{"os":"linux","x":{"$nin":["q<k>","v0","v1",...]}}}` of at most `chars`
 * characters (as the server measures it: JSON.stringify of the Query object), as close to it as the values allow.
 */
function queryJson(k, chars) {
  const head = `{"Where":{"os":"linux","x":{"$nin":[`;
  const tail = ']}}}';
  const parts = [JSON.stringify(`q${k}`)];
  let length = head.length + tail.length + parts[0].length;
  for (let j = 0; ; j++) {
    const v = JSON.stringify(`v${j}`);
    if (length + 1 + v.length > chars) break;
    parts.push(v);
    length += 1 + v.length;
  }
  const json = head + parts.join(',') + tail;
  if (json.length !== length || JSON.stringify(JSON.parse(json)).length !== length) {
    throw new Error('query size mismatch');
  }
  return json;
}

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
      items.push(`{"KeyValues":{"os":"linux","n":"${i}","x":"c${i}"},"Data":${DATA_JSON},"Updateable":false}`);
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
 * @param {{name:string, count:number, chars:number}} scenario
 */
async function runScenario(scenario) {
  return withServer({ sync: 'normal' }, async (server) => {
    const client = createClient(server.url, { maxSockets: 4 });
    try {
      await fill(client);
      const rssBefore = await rss(server);
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
        if (![200, 204, 400].includes(res.status)) expectStatus(res, [200, 204, 400], 'dequeue');
      }
      const rssAfterQueries = await rss(server);

      const enqueueMs = [];
      for (let i = 0; i < ENQUEUES; i++) {
        if (performance.now() > deadline + TIMEOUT_MS) {
          stoppedEarly = true;
          break;
        }
        const n = CHANNELS + i;
        const body = `{"KeyValues":{"os":"linux","n":"${n}","x":"c${n}"},"Data":${DATA_JSON},"Updateable":false}`;
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
        peakRss: server.peakRssMb(),
        stoppedEarly,
      };
    } finally {
      client.close();
    }
  });
}

function printResults(rows) {
  const header = [
    'scenario',
    'query chars',
    'views asked',
    '400s',
    'other answers',
    'dequeue p50 ms',
    'RSS before MB',
    'RSS after queries MB',
    'RSS after enqueues MB',
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
    const notes = [`peak ${fmtNum(r.peakRss, 0)} MB`, `${r.enqueue.count} enqueues`];
    if (r.sent !== r.asked) notes.push(`only ${r.sent} queries sent`);
    if (r.stoppedEarly) notes.push('stopped early: BENCH_VIEWS_TIMEOUT_SECONDS');
    return [
      r.name,
      r.asked ? fmtNum(r.chars, 0) : '-',
      String(r.asked),
      String(r.statuses[400] || 0),
      others || '-',
      r.sent ? ms(r.dequeue.p50) : '-',
      fmtNum(r.rssBefore, 0),
      fmtNum(r.rssAfterQueries, 0),
      fmtNum(r.rssAfter, 0),
      ms(r.enqueue.p50),
      ms(r.enqueue.p99),
      notes.join(', '),
    ];
  });
  const right = header.map((_, i) => i > 0 && i < header.length - 1 && i !== 4);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c
      .map((v, i) => (right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const title =
    `Dispatch views: ${fmtNum(CHANNELS, 0)} channels, then distinct dequeue queries (Wait 0), ` +
    `then ${ENQUEUES} enqueues into new channels (sync=normal)`;
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  process.stdout.write(['', title, line(header), rule, ...cells.map(line), ''].join('\n') + '\n');
}

async function main() {
  const scenarios = [{ name: 'no views', count: 0, chars: 0 }];
  for (const count of COUNTS) {
    if (!Number.isInteger(count) || count < 0) throw new Error(`BENCH_VIEWS_COUNTS: bad count "${count}"`);
    scenarios.push({ name: `16 KiB x ${count}`, count, chars: QUERY_CHARS });
  }
  if (BIG > 0) scenarios.push({ name: `1 MiB x ${BIG}`, count: BIG, chars: BIG_CHARS });
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
