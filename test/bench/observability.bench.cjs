'use strict';
/**
 * What metrics and the event stream cost (issue 17: at most 10 % of batch throughput). Two servers side by side on
 * the embedded store, one with observability on (the default) and one with WILLOW_METRICS=off; on the first,
 * GET /metrics is scraped every second and one GET /v1/events client consumes every event, as a Prometheus server
 * and a dashboard would. Both rows of a pair are measured interleaved (lib/measure.cjs), so a shared host's
 * changing load hits them alike:
 *
 *   batch enqueue      POST .../items/batch, 100 items per request over 10000 channels, 50 in flight; items/s.
 *   dequeue-batch+ack  POST .../dequeue-batch {Count:100} then .../ack-batch over the backlog the enqueue rows left
 *                      (topped up after the warm-up); 50 consumers; items/s.
 *
 * The summary gives the cost of observability as (off - on) / off for each pair, by rate and by work per server
 * CPU-second (steadier on a busy host), and what the observers saw (scrapes, events, overflows).
 *
 * Settings: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_SLICE_SECONDS (2), BENCH_SYNC (first entry, default
 * normal: fsync would hide CPU costs behind the disk). On a shared host, longer windows in shorter slices
 * (BENCH_SECONDS=30 BENCH_SLICE_SECONDS=1) keep the noise below the few per cent being measured.
 * Run: node test/bench/run.cjs observability
 */
const http = require('node:http');
const { withServer, benchSettings, printTable, fmtNum } = require('./lib/server.cjs');
const { interleave } = require('./lib/measure.cjs');
const { batchEnqueue, dequeueBatchAck } = require('./queue.bench.cjs');

const SCRAPE_MS = 1_000;

/** One event-stream client reading every event (reconnecting after an overflow) and a scraper of /metrics. */
function observe(url) {
  const seen = { events: 0, overflows: 0, scrapes: 0, scrapeBytes: 0, scrapeErrors: 0 };
  let stopped = false;
  let req = null;
  const connect = () => {
    if (stopped) return;
    req = http.get(`${url}/v1/events`, (res) => {
      res.setEncoding('utf8');
      let rest = '';
      res.on('data', (chunk) => {
        rest += chunk;
        const frames = rest.split('\n\n');
        rest = frames.pop();
        for (const frame of frames) {
          if (frame.startsWith('data: ')) seen.events++;
          else if (frame.startsWith('event: overflow')) seen.overflows++;
        }
      });
      res.on('end', () => setTimeout(connect, 10));
    });
    req.on('error', () => setTimeout(connect, 100));
  };
  connect();
  const scrape = () =>
    http
      .get(`${url}/metrics`, (res) => {
        res.on('data', (c) => (seen.scrapeBytes += c.length));
        res.on('end', () => (res.statusCode === 200 ? seen.scrapes++ : seen.scrapeErrors++));
      })
      .on('error', () => seen.scrapeErrors++);
  const timer = setInterval(scrape, SCRAPE_MS);
  return {
    seen,
    stop: () => {
      stopped = true;
      clearInterval(timer);
      req?.destroy();
    },
  };
}

const cost = (on, off, f) => (f(off) > 0 ? ((f(off) - f(on)) / f(off)) * 100 : NaN);
const perCpu = (row) => (row.cpu ? row.rate / (row.cpu / 100) : NaN);

async function main() {
  const settings = benchSettings();
  const sync = process.env.BENCH_SYNC ? settings.sync[0] : 'normal';
  process.stdout.write(`observability: two servers (sync=${sync}), metrics+events on vs WILLOW_METRICS=off, interleaved ...\n`);
  await withServer({ sync }, (on) =>
    withServer({ sync, env: { WILLOW_METRICS: 'off' } }, async (off) => {
      const observers = observe(on.url);
      try {
        const enqOn = await batchEnqueue(on, { name: 'batch enqueue x100 [items/s], metrics+events ON' });
        const enqOff = await batchEnqueue(off, { name: 'batch enqueue x100 [items/s], WILLOW_METRICS=off' });
        const [eOn, eOff] = await interleave(settings, [enqOn, enqOff]);
        const deqOn = dequeueBatchAck(on, settings, enqOn.backlog, { name: 'dequeue-batch+ack-batch x100 [items/s], ON' });
        const deqOff = dequeueBatchAck(off, settings, enqOff.backlog, { name: 'dequeue-batch+ack-batch x100 [items/s], off' });
        const [dOn, dOff] = await interleave(settings, [deqOn, deqOff]);
        const { seen } = observers;
        printTable(`Observability cost (sync=${sync}, ${settings.durationMs / 1000} s per row)`, [eOn, eOff, dOn, dOff]);
        for (const [what, a, b] of [['batch enqueue', eOn, eOff], ['dequeue-batch+ack-batch', dOn, dOff]]) {
          process.stdout.write(
            `  ${what}: cost ${fmtNum(cost(a, b, (r) => r.rate), 1)} % by rate, ${fmtNum(cost(a, b, perCpu), 1)} % by items per server CPU-second\n`,
          );
        }
        process.stdout.write(
          `  observers: ${seen.scrapes} scrapes (${fmtNum(seen.scrapeBytes / Math.max(1, seen.scrapes) / 1024, 1)} KiB each, ` +
            `${seen.scrapeErrors} failed), ${seen.events} events streamed, ${seen.overflows} overflow(s)\n`,
        );
      } finally {
        observers.stop();
      }
    }),
  );
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`observability bench failed: ${(error && error.stack) || error}\n`);
    process.exit(1);
  });
}

module.exports = { main };
