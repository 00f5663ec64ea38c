'use strict';
/**
 * Split-deployment benchmark: the dequeue+ack cycle (POST .../items/dequeue {Wait:0} then POST .../items/:ID/ack)
 * with the queue and the limiter in one process (monolith), and in two processes whose Limiter port crosses a
 * transport: TCP, and NATS (127.0.0.1:4222, a subject prefix of its own; the row is skipped when NATS is down).
 * Every cycle costs the queue one tryIncrement and one decrement on the Limiter port, in-process or over the wire.
 *
 * 50 consumers over a backlog pre-filled by batch enqueue (BENCH_SPLIT_BACKLOG items, default 150,000, over 1,000
 * channels, so no run drains it; a 204 counts as an error "drained"). Rows: cycles/s, p50/p99 of one cycle, and the
 * CPU of the queue process + the limiter process (% of one core, over the measured window).
 *
 * Settings: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_SYNC (first mode listed; default full).
 * Run: node test/bench/run.cjs split
 */
const net = require('node:net');
const crypto = require('node:crypto');
const { startServer, freePort, summarize, benchSettings, printTable, fmtNum } = require('./lib/server.cjs');
const { createClient, runClosedLoop } = require('./lib/http.cjs');

const CLIENTS = 50;
const CHANNELS = 1_000;
const FILL_BATCH = 1_000;
const FILL_IN_FLIGHT = 8;
const BACKLOG = Number(process.env.BENCH_SPLIT_BACKLOG || 150_000);
const DATA_JSON = JSON.stringify({ repo: 'willow', sha: '3f786850e387550fdab836ed7e6dc881de23001b', attempt: 1, note: 'bench' });

function natsUp() {
  return new Promise((resolve) => {
    const socket = net.connect(4222, '127.0.0.1');
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Starts the processes of one set-up; resolves { queue, servers }. */
async function setUp(kind, sync) {
  if (kind === 'monolith') {
    const queue = await startServer({ sync });
    return { queue, servers: [queue] };
  }
  const url = kind === 'tcp' ? `tcp://127.0.0.1:${await freePort()}` : `nats://127.0.0.1:4222/bench${crypto.randomBytes(4).toString('hex')}`;
  const limiter = await startServer({ sync, env: { WILLOW_MODULES: 'limiter', WILLOW_TRANSPORT_LISTEN: url } });
  try {
    const queue = await startServer({ sync, env: { WILLOW_MODULES: 'willow', WILLOW_LIMITER_URL: url } });
    return { queue, servers: [queue, limiter] };
  } catch (error) {
    await limiter.stop();
    throw error;
  }
}

async function fill(client) {
  const body = (b) =>
    `{"Items":[${Array.from({ length: FILL_BATCH }, (_, i) => `{"KeyValues":{"ch":"c${(b * FILL_BATCH + i) % CHANNELS}"},"Data":${DATA_JSON},"Updateable":false}`).join(',')}]}`;
  let next = 0;
  const batches = Math.ceil(BACKLOG / FILL_BATCH);
  await Promise.all(
    Array.from({ length: FILL_IN_FLIGHT }, async () => {
      for (let b = next++; b < batches; b = next++) {
        const res = await client.request('POST', '/v1/queues/bench/items/batch', body(b));
        if (res.status !== 200) throw new Error(`fill: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }),
  );
}

async function cycle(client) {
  const got = await client.request('POST', '/v1/queues/bench/items/dequeue', '{"Wait":0}');
  if (got.status === 204) throw new Error('drained');
  if (got.status !== 200) throw new Error(`dequeue: ${got.status} ${got.body && got.body.Code}`);
  const acked = await client.request('POST', `/v1/queues/bench/items/${got.body.ID}/ack`, '{"Passed":true}');
  if (acked.status !== 200) throw new Error(`ack: ${acked.status} ${acked.body && acked.body.Code}`);
}

async function run(kind, settings, sync) {
  const { queue, servers } = await setUp(kind, sync);
  const client = createClient(queue.url, { maxSockets: CLIENTS + FILL_IN_FLIGHT });
  try {
    const created = await client.request('POST', '/v1/queues', { Name: 'bench' });
    if (created.status !== 201) throw new Error(`create queue: ${created.status}`);
    await fill(client);
    let cpuAtStart = 0;
    let cpuPercent;
    const cpu = () => servers.reduce((sum, s) => sum + (s.cpuSeconds() ?? 0), 0);
    const result = await runClosedLoop({
      clients: CLIENTS,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      iteration: () => cycle(client),
      onMeasureStart: () => {
        cpuAtStart = cpu();
      },
      onMeasureEnd: () => {
        cpuPercent = ((cpu() - cpuAtStart) / (settings.durationMs / 1000)) * 100;
      },
    });
    const s = summarize(result.latencies);
    const errors = Object.entries(result.errorKinds).map(([k, n]) => `${n}x ${k}`).join('; ');
    return {
      name: `dequeue+ack ${kind === 'monolith' ? 'monolith' : `split over ${kind.toUpperCase()}`}`,
      rate: result.rate,
      p50: s.p50,
      p99: s.p99,
      cpu: cpuPercent,
      notes: `${servers.length} process${servers.length > 1 ? 'es' : ''}, sync=${sync}${errors ? `; errors: ${errors}` : ''}`,
    };
  } finally {
    client.close();
    for (const server of servers) await server.stop();
  }
}

async function main() {
  const settings = benchSettings();
  const sync = settings.sync[0] || 'full';
  const kinds = ['monolith', 'tcp'];
  if (await natsUp()) kinds.push('nats');
  else process.stderr.write('⚠ NATS row skipped: nothing listens on 127.0.0.1:4222\n');
  const rows = [];
  for (const kind of kinds) rows.push(await run(kind, settings, sync));
  const base = rows[0].rate;
  for (const row of rows.slice(1)) row.notes += `; ${fmtNum(row.rate / base, 2)}x the monolith's rate`;
  printTable(`Split deployment: dequeue+ack cycle, ${CLIENTS} consumers (${settings.durationMs / 1000} s measured)`, rows);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
