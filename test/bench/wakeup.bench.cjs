'use strict';
/**
 * Event-driven wake-up latencies named by the issues ("within 50 ms"), measured from this second process:
 * - lock hand-off: a waiter is granted after the holder's release (time from sending DELETE to the waiter's 201);
 * - new channel: a dequeue waiting on a channel that does not exist yet gets the item after its enqueue (time from
 *   sending the enqueue to the dequeue's 200);
 * - blocked channel: a dequeue waiting behind a Limiter rule gets the next item after the running one is acked
 *   (time from sending the ack to the dequeue's 200).
 * - delayed item: a dequeue waiting on a channel whose only item is delayed by DELAY_MS gets it once it is due (time
 *   from the due time, as the enqueue's answer came back + DELAY_MS, to the dequeue's 200: the due timer's lateness).
 * Each is repeated sequentially; figures include one HTTP round trip of the triggering request.
 */
const { withServer, summarize, printTable, benchSettings } = require('./lib/server.cjs');
const { createClient, sleep } = require('./lib/http.cjs');

const ROUNDS = Number(process.env.BENCH_WAKE_ROUNDS || 200);
const SETTLE_MS = 15;

async function lockHandoff(c) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const tags = { handoff: `k${i}` };
    const held = await c.request('POST', '/v1/locks', { KeyValues: tags, Wait: 0 });
    const waiter = c.request('POST', '/v1/locks', { KeyValues: tags, Wait: '30s' });
    await sleep(SETTLE_MS);
    const t0 = performance.now();
    await c.request('DELETE', `/v1/locks/${held.body.LockID}`, { SessionID: held.body.SessionID });
    const granted = await waiter;
    samples.push(performance.now() - t0);
    if (granted.status !== 201) throw new Error(`waiter got ${granted.status}`);
    await c.request('DELETE', `/v1/locks/${granted.body.LockID}`, { SessionID: granted.body.SessionID });
  }
  return samples;
}

async function newChannel(c) {
  await c.request('POST', '/v1/queues', { Name: 'wake' });
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const tags = { fresh: `c${i}` };
    const consumer = c.request('POST', '/v1/queues/wake/items/dequeue', { Query: { Where: tags }, Wait: '30s' });
    await sleep(SETTLE_MS);
    const t0 = performance.now();
    await c.request('POST', '/v1/queues/wake/items', { KeyValues: tags, Data: i });
    const got = await consumer;
    samples.push(performance.now() - t0);
    if (got.status !== 200) throw new Error(`dequeue got ${got.status}`);
    await c.request('POST', `/v1/queues/wake/items/${got.body.ID}/ack`, { Passed: true });
  }
  return samples;
}

async function blockedChannel(c) {
  await c.request('POST', '/v1/queues', { Name: 'gate' });
  await c.request('POST', '/v1/limiter/rules', { Name: 'one_per_lane', GroupBy: ['lane'], Limit: 1 });
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const tags = { lane: `l${i}` };
    await c.request('POST', '/v1/queues/gate/items/batch', {
      Items: [{ KeyValues: tags, Data: 1, Updateable: false }, { KeyValues: tags, Data: 2, Updateable: false }],
    });
    const first = await c.request('POST', '/v1/queues/gate/items/dequeue', { Query: { Where: tags }, Wait: 0 });
    const second = c.request('POST', '/v1/queues/gate/items/dequeue', { Query: { Where: tags }, Wait: '30s' });
    await sleep(SETTLE_MS);
    const t0 = performance.now();
    await c.request('POST', `/v1/queues/gate/items/${first.body.ID}/ack`, { Passed: true });
    const got = await second;
    samples.push(performance.now() - t0);
    if (got.status !== 200 || got.body.Data !== 2) throw new Error(`blocked dequeue got ${got.status}`);
    await c.request('POST', `/v1/queues/gate/items/${got.body.ID}/ack`, { Passed: true });
  }
  return samples;
}

const DELAY_MS = 100;

async function delayedItem(c) {
  await c.request('POST', '/v1/queues', { Name: 'later' });
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const tags = { due: `d${i}` };
    const consumer = c.request('POST', '/v1/queues/later/items/dequeue', { Query: { Where: tags }, Wait: '30s' });
    await sleep(SETTLE_MS);
    await c.request('POST', '/v1/queues/later/items', { KeyValues: tags, Data: i, Delay: DELAY_MS });
    const dueAt = performance.now() + DELAY_MS;
    const got = await consumer;
    samples.push(Math.max(0, performance.now() - dueAt));
    if (got.status !== 200) throw new Error(`delayed dequeue got ${got.status}`);
    await c.request('POST', `/v1/queues/later/items/${got.body.ID}/ack`, { Passed: true });
  }
  return samples;
}

async function main() {
  const { sync: syncModes } = benchSettings();
  const rows = [];
  for (const sync of syncModes) {
    await withServer({ sync }, async (server) => {
      const c = createClient(server.url, { maxSockets: 8 });
      for (const [name, fn] of [['lock hand-off after release', lockHandoff], ['dequeue wakes for a new channel', newChannel], ['blocked channel resumes after ack', blockedChannel], [`delayed item handed out after due (${DELAY_MS} ms delay)`, delayedItem]]) {
        const s = summarize(await fn(c));
        rows.push({ name: `${name}, sync=${sync}`, rate: NaN, p50: s.p50, p99: s.p99, notes: `${s.count} rounds, max ${s.max.toFixed(1)} ms` });
      }
    });
  }
  printTable('Wake-up latency (goal: within 50 ms)', rows);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
