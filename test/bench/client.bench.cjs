'use strict';
/**
 * Client benchmark: the @willow/client worker (concurrency 50, dequeue-batch and ack-batch, a handler that does
 * nothing) against a hand-written loop of dequeue-batch {Count: 50} then ack-batch, on the same server in one run.
 * Both go through the same HTTP stack (Node's fetch), so the ratio is what the worker's bookkeeping costs (leases,
 * heartbeat timers, the ack batcher) or gains (its next dequeue overlaps the previous acks). Goal: ratio >= 0.9.
 *
 * The two take turns in BENCH_SLICE_SECONDS slices (2 s) after a warm-up of each, until each has run BENCH_SECONDS,
 * so a shared host's changing load hits both alike. Each slice starts a fresh worker (run) and ends with stop(),
 * which is counted in its time. The backlog (items spread over 1000 channels) is topped up before every slice so
 * neither side ever waits on an empty queue. Items/s counts acked items.
 *
 * Settings: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_SLICE_SECONDS (2), BENCH_SYNC ("full,normal").
 * Run: npm run bench -- client   (builds the server and the client first)
 */
const { performance } = require('node:perf_hooks');
const { withServer, benchSettings, fmtNum } = require('./lib/server.cjs');
const { Willow } = require('@willow/client');

const CONCURRENCY = 50;
const CHANNELS = 1000;
const FILL_BATCH = 1000;
const QUEUE = 'bench';
const DATA = { repo: 'willow', sha: '3f786850e387550fdab836ed7e6dc881de23001b', attempt: 1, note: 'bench' };

async function post(url, path, body) {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function waiting(url) {
  const res = await fetch(`${url}/v1/queues/${QUEUE}`);
  return (await res.json()).Waiting;
}

let nextChannel = 0;
/** Enqueues until at least `target` items wait, 1000 per batch, 4 batches in flight. */
async function topUp(url, target) {
  let missing = target - (await waiting(url));
  while (missing > 0) {
    const batches = Math.min(4, Math.ceil(missing / FILL_BATCH));
    await Promise.all(
      Array.from({ length: batches }, async () => {
        const Items = Array.from({ length: FILL_BATCH }, () => ({ KeyValues: { ch: String(nextChannel++ % CHANNELS) }, Data: DATA, Updateable: false, Timeout: '60s' }));
        const r = await post(url, `/v1/queues/${QUEUE}/items/batch`, { Items });
        if (r.status !== 200) throw new Error(`fill: ${r.status} ${JSON.stringify(r.body)}`);
      }),
    );
    missing -= batches * FILL_BATCH;
  }
}

/** The hand-written loop: dequeue-batch, then ack every item in one ack-batch, until `ms` have passed. */
async function handLoop(url, ms) {
  const end = performance.now() + ms;
  const t0 = performance.now();
  let items = 0;
  while (performance.now() < end) {
    const d = await post(url, `/v1/queues/${QUEUE}/items/dequeue-batch`, { Count: CONCURRENCY, Wait: '5s' });
    if (d.status !== 200) throw new Error(`hand loop dequeue: ${d.status} (backlog drained?)`);
    const Acks = d.body.Items.map((i) => ({ ID: i.ID, Attempt: i.Attempt, Passed: true }));
    const a = await post(url, `/v1/queues/${QUEUE}/items/ack-batch`, { Acks });
    if (a.status !== 200 || a.body.Results.some((r) => r.Status !== 200)) throw new Error(`hand loop ack: ${a.status}`);
    items += Acks.length;
  }
  return { items, ms: performance.now() - t0 };
}

/** The worker: run for `ms`, then stop() (which waits for handlers and flushes acks); counts handled items. */
async function workerLoop(willow, ms) {
  let items = 0;
  const errors = [];
  const worker = willow.worker(QUEUE, () => void items++, {
    concurrency: CONCURRENCY,
    wait: '5s',
    onError: (e) => errors.push(e),
    onIdle: () => errors.push(new Error('backlog drained')),
  });
  const t0 = performance.now();
  const running = worker.run();
  await new Promise((r) => setTimeout(r, ms));
  await worker.stop();
  await running;
  if (errors.length > 0) throw new Error(`worker: ${errors.length} error(s), first: ${errors[0]}`);
  return { items, ms: performance.now() - t0 };
}

async function scenario(sync, settings) {
  return withServer({ sync }, async (server) => {
    const willow = new Willow({ baseUrl: server.url });
    const created = await post(server.url, '/v1/queues', { Name: QUEUE });
    if (created.status !== 201) throw new Error(`create queue: ${created.status}`);
    const sliceMs = Math.min(settings.durationMs, Math.round(Number(process.env.BENCH_SLICE_SECONDS || 2) * 1000));
    const sides = {
      hand: { run: (ms) => handLoop(server.url, ms), items: 0, ms: 0 },
      worker: { run: (ms) => workerLoop(willow, ms), items: 0, ms: 0 },
    };
    let rate = 20_000; // items/s, refined after the warm-up
    for (const side of Object.values(sides)) {
      await topUp(server.url, Math.ceil((rate * settings.warmupMs) / 1000) * 2);
      const warm = await side.run(settings.warmupMs);
      rate = Math.max(1_000, (warm.items * 1000) / warm.ms);
    }
    while (Object.values(sides).some((s) => s.ms < settings.durationMs)) {
      for (const side of Object.values(sides)) {
        if (side.ms >= settings.durationMs) continue;
        const ms = Math.min(sliceMs, settings.durationMs - side.ms);
        await topUp(server.url, Math.ceil(((rate * ms) / 1000) * 2.5) + CONCURRENCY);
        const r = await side.run(ms);
        side.items += r.items;
        side.ms += r.ms;
        rate = Math.max(rate, (r.items * 1000) / r.ms);
      }
    }
    const perSecond = (s) => (s.items * 1000) / s.ms;
    return { sync, hand: perSecond(sides.hand), worker: perSecond(sides.worker), handItems: sides.hand.items, workerItems: sides.worker.items };
  });
}

async function main() {
  const settings = benchSettings();
  process.stdout.write(`client worker (concurrency ${CONCURRENCY}) vs hand-written dequeue-batch/ack-batch loop; ${settings.durationMs / 1000} s each, interleaved\n`);
  const header = ['server', 'hand loop items/s', 'worker items/s', 'worker/hand (goal >= 0.90)', 'items (hand, worker)'];
  const rows = [];
  for (const sync of settings.sync) {
    const r = await scenario(sync, settings);
    const ratio = r.worker / r.hand;
    rows.push([`sync=${r.sync}`, fmtNum(r.hand, 0), fmtNum(r.worker, 0), `${fmtNum(ratio, 2)}${ratio >= 0.9 ? '' : ' BELOW GOAL'}`, `${r.handItems}, ${r.workerItems}`]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
