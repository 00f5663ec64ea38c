'use strict';
/**
 * Queue (Willow) benchmark, over HTTP keep-alive from this process against a child server on the embedded store.
 * Every row shows the rate, p50/p99 latency of one iteration (one request, or one dequeue+ack cycle), and the
 * server's CPU (% of one core, over the measured window) and RSS (at the window's end). Notes add this process's CPU
 * (bench-cpu), the CPU other processes on the host took meanwhile (other-cpu: a busy host skews a row) and iowait.
 *
 *   ceiling            POST /v1/locks/query {} on an empty lock table (a trivial validated POST: routing, JSON body,
 *                      validation pipe, filters) and GET /health/live; 50 in flight. The stack's upper bound.
 *   enqueue single     POST .../items, every item in a new channel, Updateable:false; 50 in flight (sync=full and
 *                      sync=normal). Ratio to the POST ceiling on the same server (goal >= 0.8).
 *   collapse           POST .../items into 4 channels whose waiting tail is updateable, nobody dequeues: every
 *                      enqueue replaces the tail (200, Collapsed:true).
 *   batch enqueue      POST .../items/batch, 100 items per request over BENCH_QUEUE_CHANNELS channels
 *                      (Updateable:false); 50 in flight; rate in items/s. Its items are the backlog of the next two.
 *   dequeue+ack        POST .../dequeue then .../:ID/ack; 50 consumers over the pre-filled queue.
 *   dequeue-batch+ack  POST .../dequeue-batch {Count:100} then .../ack-batch; 50 consumers; items/s. Then the same
 *                      with every item in ONE channel (10 consumers, Wait 30s): the gate takes one item per channel
 *                      per round.
 *   channels 1k/100k   a fresh server per size; one item per channel pre-filled with batch enqueue; 10 consumers each
 *                      dequeue (timed) -> ack -> put a new item back into that channel (so the channel count stays
 *                      N). p50/p99 of the dequeue request; ratio 100k/1k (goal <= 1.2).
 *   ... priorities     the same pair again with every channel's items at a priority from -100 to 100 (fixed per
 *                      channel), so channels compete by priority first; BENCH_PRIORITIES=0 skips it.
 *   auth               enqueue single (as above) on two servers side by side, interleaved: one in protected mode
 *                      called from loopback without a key, one with WILLOW_ADMIN_KEY called with a stored key
 *                      (Bearer header, hash, cached lookup, scope and queue check, rate limit). Both have
 *                      WILLOW_RATE_LIMIT high, so the limit's bookkeeping is measured, not its refusals. Ratio
 *                      with-key / without-key (goal >= 0.90: auth adds at most 10 %).
 *   1M waiting         fresh server; 1,000,000 items in 1,000 channels by batch enqueue (1000 per request, 8 in
 *                      flight); server RSS and database size after the fill; then dequeue+ack latency with 10
 *                      consumers. On by default (about 1.5 min of the run); BENCH_MILLION=0 skips it.
 *
 * Rows whose ratio is a goal are measured interleaved (lib/measure.cjs): after each one's warm-up they take turns in
 * BENCH_SLICE_SECONDS (2 s) slices until each has BENCH_SECONDS, so a shared host's changing load hits both alike:
 * the ceilings, single enqueue and collapse on one server; ceiling and enqueue on the sync=normal server; and the 1k
 * and 100k channel servers, which run side by side. The other rows run one after the other.
 *
 * The dequeue rows need a backlog that outlasts the window: at the end of the warm-up the observed consumption
 * rate sets the backlog to keep (x2 for the window), and the queue is topped up before measuring starts.
 * A dequeue that finds the queue empty (204) counts as an error ("drained"), so a row never looks fast by starving.
 *
 * Settings: BENCH_QUEUE_ONLY=auth (run the auth rows alone), BENCH_AUTH_SYNC (their WILLOW_SYNC, default full), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_SLICE_SECONDS (2), BENCH_QUEUE_CHANNELS (channels
 * of the batch-enqueue backlog, default 10000), BENCH_MILLION=0, BENCH_MILLION_ITEMS (1000000), BENCH_CPU_PROF=1
 * (profile the server over each measured window; summaries printed at the end, .cpuprofile files kept in a temp
 * dir).
 * Run: node test/bench/run.cjs queue
 */
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { withServer, summarize, benchSettings, printTable, fmtNum } = require('./lib/server.cjs');
const { createClient } = require('./lib/http.cjs');
const { interleave, measure } = require('./lib/measure.cjs');
const { summariseProfile, printProfileSummary } = require('./lib/cpuprofile.cjs');

const CLIENTS = 50;
const LATENCY_CLIENTS = 10;
const BATCH = 100;
const DEQUEUE_COUNT = 100;
const FILL_BATCH = 1000;
const FILL_IN_FLIGHT = 8;
const COLLAPSE_CHANNELS = 4;
/** The item payload (~100 bytes of JSON); the peers bench sends the same value to BullMQ. */
const DATA = { repo: 'willow', sha: '3f786850e387550fdab836ed7e6dc881de23001b', attempt: 1, note: 'bench' };
const DATA_JSON = JSON.stringify(DATA);

class BenchError extends Error {}

function describe(res) {
  const code = res.body && typeof res.body === 'object' ? res.body.Code : undefined;
  return `${res.status}${code ? ` ${code}` : ''}`;
}

function expectStatus(res, ok, what) {
  if (!ok.includes(res.status)) throw new BenchError(`${what}: ${describe(res)}`);
  return res;
}

const enc = encodeURIComponent;
const itemJson = (channel, updateable = false, priority = null) =>
  `{"KeyValues":{"ch":"${channel}"},"Data":${DATA_JSON}${updateable ? '' : ',"Updateable":false'}${priority === null ? '' : `,"Priority":${priority}`}}`;
/** A priority from -100 to 100 that every item of channel `ch` shares (channels then compete by it first). */
const priorityOf = (channel) => {
  let h = 0;
  for (let i = 0; i < channel.length; i++) h = (h * 31 + channel.charCodeAt(i)) | 0;
  return (Math.abs(h) % 201) - 100;
};

async function createQueue(client, name) {
  expectStatus(await client.request('POST', '/v1/queues', { Name: name }), [201], `create queue ${name}`);
}

async function queueInfo(client, name) {
  const res = expectStatus(await client.request('GET', `/v1/queues/${enc(name)}`), [200], `get queue ${name}`);
  return res.body;
}

/**
 * Batch-enqueue `total` items (`channelOf(i)` names item i's channel) with FILL_BATCH items per request and
 * FILL_IN_FLIGHT requests in flight. Resolves {items, seconds}.
 */
async function fill(client, queue, total, channelOf, { perRequest = FILL_BATCH, inFlight = FILL_IN_FLIGHT, start = 0, priorities = false } = {}) {
  const t0 = performance.now();
  let next = 0;
  async function worker() {
    while (next < total) {
      const from = next;
      const n = Math.min(perRequest, total - from);
      next += n;
      const parts = new Array(n);
      for (let k = 0; k < n; k++) {
        const channel = channelOf(start + from + k);
        parts[k] = itemJson(channel, false, priorities ? priorityOf(channel) : null);
      }
      const res = await client.request('POST', `/v1/queues/${enc(queue)}/items/batch`, `{"Items":[${parts.join(',')}]}`);
      expectStatus(res, [200], 'fill batch');
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { items: total, seconds: (performance.now() - t0) / 1000 };
}

/** Keeps at least `need` items waiting in `queue` (items spread over `channels` channels). */
async function ensureBacklog(client, queue, need, channels, state) {
  const { Waiting } = await queueInfo(client, queue);
  if (Waiting >= need) return 0;
  const add = Math.ceil((need - Waiting) / FILL_BATCH) * FILL_BATCH;
  await fill(client, queue, add, (i) => `c${i % channels}`, { start: state.filled });
  state.filled += add;
  return add;
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads. Each returns a variant for lib/measure.cjs (setup done), so rows can be measured alone or interleaved.
// Exported for peers.bench.cjs.

function ceilingPost(server, name = `ceiling: POST /v1/locks/query {} (sync=${server.sync})`) {
  return {
    name,
    target: server,
    iteration: (client) => async () => {
      expectStatus(await client.request('POST', '/v1/locks/query', '{}'), [200], 'locks/query');
    },
  };
}

function ceilingGet(server, name = `ceiling: GET /health/live (sync=${server.sync})`) {
  return {
    name,
    target: server,
    iteration: (client) => async () => {
      expectStatus(await client.request('GET', '/health/live'), [200], 'health/live');
    },
  };
}

/** Single enqueues: each into a new channel, or over `channels` channels in turn when given. */
async function enqueueSingle(server, { queue = 'enqueue', name, channels } = {}) {
  const setup = createClient(server.url);
  await createQueue(setup, queue);
  setup.close();
  const path_ = `/v1/queues/${enc(queue)}/items`;
  let seq = 0;
  const channelOf = channels ? () => `s${seq++ % channels}` : () => `s${seq++}`;
  return {
    name: name || `enqueue single, new channel each (sync=${server.sync})`,
    target: server,
    iteration: (client) => async () => {
      expectStatus(await client.request('POST', path_, itemJson(channelOf())), [201], 'enqueue');
    },
  };
}

async function collapse(server, { queue = 'collapse' } = {}) {
  const setup = createClient(server.url);
  await createQueue(setup, queue);
  const path_ = `/v1/queues/${enc(queue)}/items`;
  for (let k = 0; k < COLLAPSE_CHANNELS; k++) expectStatus(await setup.request('POST', path_, itemJson(`k${k}`, true)), [201], 'seed');
  setup.close();
  const bodies = Array.from({ length: COLLAPSE_CHANNELS }, (_, k) => itemJson(`k${k}`, true));
  let collapsed = 0;
  let appended = 0;
  return {
    name: `collapse, ${COLLAPSE_CHANNELS} updateable tails (sync=${server.sync})`,
    target: server,
    iteration: (client) => async (c, i) => {
      const res = expectStatus(await client.request('POST', path_, bodies[(c + i) % COLLAPSE_CHANNELS]), [200, 201], 'enqueue');
      if (res.body.Collapsed) collapsed++;
      else appended++;
    },
    after: async (row) => {
      const check = createClient(server.url);
      const info = await queueInfo(check, queue);
      check.close();
      row.notes += ` collapsed=${collapsed} appended=${appended} waiting-after=${info.Waiting}`;
      row.ok = row.ok && info.Waiting === COLLAPSE_CHANNELS && appended === 0;
    },
  };
}

/** 100 items per request, 50 in flight, over `channels` channels; leaves its items in `queue` as a backlog. */
async function batchEnqueue(server, { queue = 'work', channels = queueChannels(), name } = {}) {
  const setup = createClient(server.url);
  await createQueue(setup, queue);
  setup.close();
  const path_ = `/v1/queues/${enc(queue)}/items/batch`;
  const items = Array.from({ length: Math.min(channels, 100_000) }, (_, k) => itemJson(`c${k}`));
  const backlog = newBacklog(queue, channels);
  return {
    name: name || `batch enqueue x${BATCH} [items/s] (sync=${server.sync})`,
    target: server,
    unit: 'items',
    backlog,
    iteration: (client) => async () => {
      const parts = new Array(BATCH);
      for (let k = 0; k < BATCH; k++) parts[k] = items[backlog.state.filled++ % items.length];
      const res = await client.request('POST', path_, `{"Items":[${parts.join(',')}]}`);
      expectStatus(res, [200], 'enqueue batch');
      return BATCH;
    },
    notes: () => [`channels=${channels}`],
  };
}

/** Backlog top-up at the end of the warm-up: keep 2x what the window would consume at the warm-up's rate. */
function topUp(backlog, settings, floor) {
  return async (client, w) => {
    const rate = w.items / (w.elapsedMs / 1000);
    const need = Math.max(floor, Math.ceil(rate * (settings.durationMs / 1000) * 2));
    backlog.toppedUp = (backlog.toppedUp || 0) + (await ensureBacklog(client, backlog.queue, need, backlog.channels, backlog.state));
  };
}

function newBacklog(queue, channels) {
  return { queue, channels, state: { filled: 0 }, toppedUp: 0 };
}

function dequeueAckSingle(server, settings, backlog, { clients = CLIENTS, name } = {}) {
  const q = enc(backlog.queue);
  const body = '{"Wait":"5s"}';
  return {
    name: name || `dequeue+ack single, ${clients} consumers (sync=${server.sync})`,
    target: server,
    clients,
    prepare: (client) => ensureBacklog(client, backlog.queue, 10_000, backlog.channels, backlog.state),
    onWarmupEnd: topUp(backlog, settings, 10_000),
    iteration: (client) => async (c, i, ctx) => {
      const t = performance.now();
      const res = expectStatus(await client.request('POST', `/v1/queues/${q}/items/dequeue`, body), [200, 204], 'dequeue');
      if (res.status === 204) throw new BenchError('dequeue: 204 (queue drained)');
      ctx.sample('dequeue', t);
      const { ID, Attempt } = res.body;
      expectStatus(await client.request('POST', `/v1/queues/${q}/items/${ID}/ack`, `{"Passed":true,"Attempt":${Attempt}}`), [200], 'ack');
    },
    notes: (r) => {
      const d = summarize(r.samples.dequeue || []);
      return [`dequeue-p50=${fmtNum(d.p50, 2)} p99=${fmtNum(d.p99, 2)}`, `channels=${backlog.channels}`, `topped-up=${backlog.toppedUp}`];
    },
  };
}

function dequeueBatchAck(server, settings, backlog, opts = {}) {
  const { clients = CLIENTS, count = DEQUEUE_COUNT, name, wait = '5s', floor = 50_000 } = opts;
  const q = enc(backlog.queue);
  const body = `{"Count":${count},"Wait":"${wait}"}`;
  let batches = 0;
  let got = 0;
  return {
    name: name || `dequeue-batch+ack-batch x${count} [items/s] (sync=${server.sync})`,
    target: server,
    clients,
    unit: 'items',
    prepare: (client) => ensureBacklog(client, backlog.queue, floor, backlog.channels, backlog.state),
    onWarmupEnd: topUp(backlog, settings, floor),
    iteration: (client) => async (c, i, ctx) => {
      const t = performance.now();
      const res = expectStatus(await client.request('POST', `/v1/queues/${q}/items/dequeue-batch`, body), [200, 204], 'dequeue-batch');
      if (res.status === 204) throw new BenchError('dequeue-batch: 204 (queue drained)');
      ctx.sample('dequeue', t);
      const items = res.body.Items;
      if (ctx.inWindow(performance.now())) {
        batches++;
        got += items.length;
      }
      const acks = items.map((it) => `{"ID":"${it.ID}","Passed":true,"Attempt":${it.Attempt}}`).join(',');
      const ack = expectStatus(await client.request('POST', `/v1/queues/${q}/items/ack-batch`, `{"Acks":[${acks}]}`), [200], 'ack-batch');
      const bad = ack.body.Results.filter((r) => r.Status !== 200).length;
      if (bad > 0) throw new BenchError(`ack-batch: ${bad} of ${items.length} not acked`);
      return items.length;
    },
    notes: (r) => {
      const d = summarize(r.samples.dequeue || []);
      return [
        `avg-batch=${fmtNum(batches ? got / batches : NaN, 1)}`,
        `dequeue-p50=${fmtNum(d.p50, 2)} p99=${fmtNum(d.p99, 2)}`,
        `channels=${backlog.channels}`,
        `topped-up=${backlog.toppedUp}`,
      ];
    },
  };
}

/** N channels with one item each; 10 consumers dequeue (timed) -> ack -> put a new item back into that channel. */
async function channelsVariant(server, channels, priorities = false) {
  const queue = 'channels';
  const client = createClient(server.url, { maxSockets: LATENCY_CLIENTS + FILL_IN_FLIGHT + 4 });
  await createQueue(client, queue);
  const f = await fill(client, queue, channels, (i) => `c${i}`, { priorities });
  process.stdout.write(`  filled ${fmtNum(channels, 0)} channels in ${fmtNum(f.seconds, 1)} s\n`);
  const q = enc(queue);
  const body = '{"Wait":"5s"}';
  return {
    name: `dequeue latency, ${fmtNum(channels, 0)} channels${priorities ? ' with priorities' : ''}, ${LATENCY_CLIENTS} consumers`,
    target: server,
    client,
    clients: LATENCY_CLIENTS,
    latencyOf: (r) => r.samples.dequeue || [],
    iteration: (c) => async (ci, i, ctx) => {
      const t = performance.now();
      const res = expectStatus(await c.request('POST', `/v1/queues/${q}/items/dequeue`, body), [200, 204], 'dequeue');
      if (res.status === 204) throw new BenchError('dequeue: 204 (queue drained)');
      ctx.sample('dequeue', t);
      const { ID, Attempt, KeyValues } = res.body;
      expectStatus(await c.request('POST', `/v1/queues/${q}/items/${ID}/ack`, `{"Passed":true,"Attempt":${Attempt}}`), [200], 'ack');
      ctx.sample('cycle', t);
      const refill = itemJson(KeyValues.ch, false, priorities ? priorityOf(KeyValues.ch) : null);
      expectStatus(await c.request('POST', `/v1/queues/${q}/items`, refill), [201], 'refill');
    },
    notes: (r) => {
      const cyc = summarize(r.samples.cycle || []);
      return [`dequeue+ack-p50=${fmtNum(cyc.p50, 2)} p99=${fmtNum(cyc.p99, 2)}`, 'rate=dequeue+ack+refill cycles'];
    },
    after: async (row) => {
      const info = await queueInfo(client, queue);
      row.notes += ` channels-after=${info.Channels}`;
      client.close();
    },
  };
}

/** 1k and 100k channels on two fresh servers, measured interleaved so host load hits both alike. */
async function channelsPair(settings, priorities = false) {
  return withServer({ sync: 'full' }, (small) =>
    withServer({ sync: 'full' }, async (large) => {
      const a = await channelsVariant(small, 1_000, priorities);
      const b = await channelsVariant(large, 100_000, priorities);
      return interleave(settings, [a, b]);
    }),
  );
}

/** Fresh server: 1,000,000 items in 1,000 channels, RSS after, then dequeue+ack latency with 10 consumers. */
async function million(settings) {
  const TOTAL = Number(process.env.BENCH_MILLION_ITEMS || 1_000_000);
  const CHANNELS = 1000;
  return withServer({ sync: 'full' }, async (server) => {
    const queue = 'million';
    const client = createClient(server.url, { maxSockets: LATENCY_CLIENTS + FILL_IN_FLIGHT + 4 });
    try {
      await createQueue(client, queue);
      const rssBefore = server.rssMb();
      const cpu0 = server.cpuSeconds();
      const f = await fill(client, queue, TOTAL, (i) => `c${i % CHANNELS}`);
      const cpuFill = ((server.cpuSeconds() - cpu0) / f.seconds) * 100;
      const rssAfter = server.rssMb();
      const peak = server.peakRssMb();
      const dbBytes = fs.readdirSync(server.dataDir).reduce((sum, f_) => sum + fs.statSync(path.join(server.dataDir, f_)).size, 0);
      const info = await queueInfo(client, queue);
      const fillRow = {
        name: `fill ${fmtNum(TOTAL, 0)} items x${FILL_BATCH}/req, ${FILL_IN_FLIGHT} in flight [items/s]`,
        rate: TOTAL / f.seconds,
        cpu: cpuFill,
        rss: rssAfter,
        ok: info.Waiting === TOTAL,
        notes:
          `fill=${fmtNum(f.seconds, 1)}s rss-before=${fmtNum(rssBefore, 0)}MB peak=${fmtNum(peak, 0)}MB ` +
          `db=${fmtNum(dbBytes / 1048576, 0)}MB waiting=${info.Waiting} channels=${info.Channels}`,
      };
      process.stdout.write(`  ${fillRow.name}: ${fillRow.notes}\n`);
      const q = enc(queue);
      const body = '{"Wait":"5s"}';
      const row = await measure(settings, {
        name: `dequeue+ack with ${fmtNum(TOTAL, 0)} waiting, ${LATENCY_CLIENTS} consumers`,
        target: server,
        client,
        clients: LATENCY_CLIENTS,
        iteration: (c) => async (ci, i, ctx) => {
          const t = performance.now();
          const res = expectStatus(await c.request('POST', `/v1/queues/${q}/items/dequeue`, body), [200, 204], 'dequeue');
          if (res.status === 204) throw new BenchError('dequeue: 204 (queue drained)');
          ctx.sample('dequeue', t);
          const ack = `{"Passed":true,"Attempt":${res.body.Attempt}}`;
          expectStatus(await c.request('POST', `/v1/queues/${q}/items/${res.body.ID}/ack`, ack), [200], 'ack');
        },
        notes: (r) => {
          const d = summarize(r.samples.dequeue || []);
          return [`dequeue-p50=${fmtNum(d.p50, 2)} p99=${fmtNum(d.p99, 2)}`, `peak=${fmtNum(server.peakRssMb(), 0)}MB`];
        },
      });
      return [fillRow, row];
    } finally {
      client.close();
    }
  });
}

function queueChannels() {
  const raw = process.env.BENCH_QUEUE_CHANNELS;
  const n = raw ? Number(raw) : 10_000;
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_QUEUE_CHANNELS must be a positive integer (got "${raw}")`);
  return n;
}

// ---------------------------------------------------------------------------------------------------------------

const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789-abcdefghijkl';
const UNLIMITED = { WILLOW_RATE_LIMIT: '10000000', WILLOW_MAX_WAITERS: '10000000' };

/** Single enqueue without a key (protected mode, loopback) and with a stored key, on two servers, interleaved. */
function authPair(settings) {
  const sync = process.env.BENCH_AUTH_SYNC || 'full';
  return withServer({ sync, env: UNLIMITED }, (open) =>
    withServer({ sync, env: { ...UNLIMITED, WILLOW_ADMIN_KEY: BENCH_ADMIN_KEY } }, async (keyed) => {
      const without = await enqueueSingle(open, { queue: 'auth', name: `enqueue single, no key (protected mode, loopback; sync=${sync})` });
      const admin = createClient(keyed.url, { headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` } });
      await createQueue(admin, 'auth');
      const created = await admin.request('POST', '/v1/auth/keys', { Name: 'bench', Scopes: ['queues:produce'], Queues: ['au*'] });
      expectStatus(created, [201], 'create key');
      admin.close();
      const path_ = '/v1/queues/auth/items';
      let seq = 0;
      const withKey = {
        name: `enqueue single, with a stored key (Bearer; sync=${sync})`,
        target: keyed,
        client: createClient(keyed.url, { maxSockets: CLIENTS + 8, headers: { authorization: `Bearer ${created.body.Key}` } }),
        iteration: (client) => async () => {
          expectStatus(await client.request('POST', path_, itemJson(`s${seq++}`)), [201], 'enqueue with key');
        },
      };
      return interleave(settings, [without, withKey]);
    }),
  );
}

async function main() {
  const settings = benchSettings();
  const started = Date.now();
  const rows = [];
  const byKey = {};
  const phase = (s) => process.stdout.write(`queue: ${s} ...\n`);
  const add = (key, row) => {
    rows.push(row);
    byKey[key] = row;
    return row;
  };
  try {
    phase('auth: enqueue single without and with a key (two servers, interleaved)');
    const [noKey, withKey] = await authPair(settings);
    add('enqueueNoKey', noKey);
    add('enqueueWithKey', withKey);
    if (process.env.BENCH_QUEUE_ONLY === 'auth') return;
    phase('WILLOW_SYNC=full: ceiling, enqueue, collapse (interleaved)');
    await withServer({ sync: 'full' }, async (server) => {
      const first = await interleave(settings, [ceilingPost(server), ceilingGet(server), await enqueueSingle(server), await collapse(server)]);
      ['ceilingPost', 'ceilingGet', 'enqueueFull', 'collapse'].forEach((k, i) => add(k, first[i]));
      phase('WILLOW_SYNC=full: batch enqueue, then dequeue from its backlog');
      const batchVariant = await batchEnqueue(server);
      add('batch', await measure(settings, batchVariant));
      const { backlog } = batchVariant;
      add('dequeueAck', await measure(settings, dequeueAckSingle(server, settings, backlog)));
      add('dequeueBatch', await measure(settings, dequeueBatchAck(server, settings, backlog)));
      // The same workload when every item sits in ONE channel: the gate hands out one item per channel per round.
      const setup = createClient(server.url);
      await createQueue(setup, 'one-channel');
      setup.close();
      const one = dequeueBatchAck(server, settings, newBacklog('one-channel', 1), {
        name: `dequeue-batch+ack-batch x${DEQUEUE_COUNT}, ONE channel, ${LATENCY_CLIENTS} consumers [items/s] (sync=${server.sync})`,
        clients: LATENCY_CLIENTS,
        wait: '30s',
        // Depending on how consumers race for the one channel a request gets 1 or up to 100 items, so the warm-up's
        // rate can be 4x off; keep a backlog that outlasts the faster case (60,000 ran dry at 6,000 items/s).
        floor: 150_000,
      });
      add('dequeueBatchOne', await measure(settings, one));
    });
    phase('WILLOW_SYNC=normal: ceiling, enqueue (interleaved)');
    await withServer({ sync: 'normal' }, async (server) => {
      const [c, e] = await interleave(settings, [ceilingPost(server), await enqueueSingle(server)]);
      add('ceilingPostNormal', c);
      add('enqueueNormal', e);
    });
    phase('channels: 1,000 and 100,000 (two servers, interleaved)');
    const [ch1k, ch100k] = await channelsPair(settings);
    add('ch1k', ch1k);
    add('ch100k', ch100k);
    if (process.env.BENCH_PRIORITIES !== '0') {
      phase('channels with priorities: 1,000 and 100,000 (each channel\'s items share a priority from -100 to 100)');
      const [p1k, p100k] = await channelsPair(settings, true);
      add('prio1k', p1k);
      add('prio100k', p100k);
    }
    if (process.env.BENCH_MILLION !== '0') {
      phase('1,000,000 waiting items');
      const [fillRow, row] = await million(settings);
      add('millionFill', fillRow);
      add('million', row);
    }
  } finally {
    if (rows.length > 0) report(settings, rows, byKey, started);
  }
  if (rows.some((r) => r.ok === false)) {
    process.stderr.write('queue: some rows had errors (see above)\n');
    process.exitCode = 1;
  }
}

function ratioLine(label, value, goal, ok) {
  const verdict = ok === null ? '' : ok ? '  OK' : '  BELOW GOAL';
  return `  ${label.padEnd(58)} ${Number.isFinite(value) ? value.toFixed(2) : '-'}${goal ? `  (goal ${goal})` : ''}${verdict}\n`;
}

function report(settings, rows, byKey, started) {
  printTable(
    `Queue (Willow), embedded store, keep-alive HTTP; ${settings.warmupMs / 1000}s warm-up + ${settings.durationMs / 1000}s measured ` +
      'per row; latency = one request (or one dequeue+ack cycle; channel rows: the dequeue request); srv cpu% = % of one core',
    rows,
  );
  const out = process.stdout;
  out.write('Ratios\n');
  const r = (a, b) => (byKey[a] && byKey[b] ? byKey[a].rate / byKey[b].rate : NaN);
  if (byKey.enqueueFull && byKey.ceilingPost) {
    const v = r('enqueueFull', 'ceilingPost');
    out.write(ratioLine('enqueue single (full) / POST ceiling', v, '>= 0.80', v >= 0.8));
  }
  if (byKey.enqueueNormal && byKey.ceilingPostNormal) {
    const v = r('enqueueNormal', 'ceilingPostNormal');
    out.write(ratioLine('enqueue single (normal) / POST ceiling (normal)', v, '>= 0.80', v >= 0.8));
  }
  if (byKey.enqueueNoKey && byKey.enqueueWithKey) {
    const v = r('enqueueWithKey', 'enqueueNoKey');
    out.write(ratioLine('enqueue single with a key / without (auth cost)', v, '>= 0.90', v >= 0.9));
  }
  if (byKey.ch1k && byKey.ch100k) {
    const p50 = byKey.ch100k.p50 / byKey.ch1k.p50;
    const p99 = byKey.ch100k.p99 / byKey.ch1k.p99;
    out.write(ratioLine('dequeue p50, 100k channels / 1k channels', p50, '<= 1.20', p50 <= 1.2));
    out.write(ratioLine('dequeue p99, 100k channels / 1k channels', p99, '<= 1.20', p99 <= 1.2));
  }
  if (byKey.prio1k && byKey.prio100k) {
    const p99 = byKey.prio100k.p99 / byKey.prio1k.p99;
    out.write(ratioLine('dequeue p99 with priorities, 100k channels / 1k channels', p99, '<= 1.20', p99 <= 1.2));
  }
  if (byKey.batch && byKey.enqueueFull) {
    out.write(ratioLine('batch enqueue items/s / single enqueue items/s (full)', r('batch', 'enqueueFull'), null, null));
  }
  if (byKey.dequeueBatch && byKey.dequeueAck) {
    out.write(ratioLine('dequeue-batch items/s / single dequeue+ack cycles/s', r('dequeueBatch', 'dequeueAck'), null, null));
  }
  const profiled = rows.filter((row) => row.profiles && row.profiles.length > 0);
  if (profiled.length > 0) {
    out.write('\nCPU profiles of the server over each measured window (files kept):\n');
    for (const row of profiled) {
      printProfileSummary(row.name, summariseProfile(row.profiles), out);
      out.write(`   files: ${path.dirname(row.profiles[0])}/ (${row.profiles.length})\n`);
    }
  }
  out.write(`queue: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`queue bench failed: ${(error && error.stack) || error}\n`);
    process.exit(1);
  });
}

module.exports = {
  main,
  DATA,
  CLIENTS,
  BATCH,
  DEQUEUE_COUNT,
  createQueue,
  queueInfo,
  fill,
  ceilingPost,
  ceilingGet,
  enqueueSingle,
  collapse,
  batchEnqueue,
  newBacklog,
  dequeueAckSingle,
  dequeueBatchAck,
  queueChannels,
  channelsPair,
  million,
  authPair,
};
