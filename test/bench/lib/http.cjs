'use strict';
/**
 * A minimal keep-alive JSON client on `node:http` (less overhead than fetch) and a closed-loop load runner:
 * N concurrent clients each repeat an async iteration; only iterations that finish inside the measured window
 * (after the warm-up) count towards rate and latency.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');

/**
 * @param {string} baseUrl e.g. http://127.0.0.1:1234
 * @param {{maxSockets?: number, timeoutMs?: number, headers?: Record<string,string>}} [opts] `headers` go on every
 *   request (e.g. `authorization`)
 */
function createClient(baseUrl, opts = {}) {
  const { maxSockets = 64, timeoutMs = 120_000, headers: extraHeaders = {} } = opts;
  const u = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });

  /**
   * @param {string} method
   * @param {string} path
   * @param {string|Buffer|object} [body] a string/Buffer is sent as-is (pre-serialise hot bodies), an object is
   *   JSON-encoded
   * @returns {Promise<{status:number, body:any, headers:object}>} body is parsed JSON, or the text, or null
   */
  function request(method, path, body) {
    return new Promise((resolve, reject) => {
      let payload = null;
      const headers = { ...extraHeaders };
      if (body !== undefined && body !== null) {
        payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      const req = http.request(
        { host: u.hostname, port: u.port, method, path, headers, agent, timeout: timeoutMs },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = chunks.length ? Buffer.concat(chunks).toString('utf8') : '';
            let parsed = null;
            if (text) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ status: res.statusCode, body: parsed, headers: res.headers });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload ?? undefined);
    });
  }

  return { request, agent, close: () => agent.destroy() };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Run `clients` concurrent loops of `iteration(clientIndex, iterationIndex, ctx)` for warmupMs + durationMs.
 * Latencies cover iterations that complete inside the measured window; each loop finishes the iteration it is in
 * when time is up (so e.g. a held lock is still released) before `runClosedLoop` resolves.
 *
 * `work` and `workItems` (what rates are computed from) count each iteration by the share of its duration that lies
 * inside the window. Counting only the iterations that complete inside it undercounts a window by up to one
 * iteration per client: nothing for a 2 ms request, but when the loops restart with each short window (interleaved
 * slices) and an iteration is long and the clients move in step (50 consumers of 100-item batches, about 300 ms per
 * cycle, in a 2 s slice), on average half a cycle of a window, 7 % here, against a peer whose completions are counted
 * as they come. The window's last iterations are counted for their part inside it, so nothing is counted twice.
 * A thrown error counts as an error (grouped by message), is not timed, and the loop backs off 10 ms.
 *
 * Optional extras (all backwards compatible):
 * - `iteration` may resolve a number: the items it moved (e.g. a batch); `items`/`itemRate` sum those in the window.
 * - `ctx.sample(name, startedAt)` records `now - startedAt` in series `name` when now is inside the window (e.g. the
 *   dequeue half of a dequeue+ack cycle); they come back in `samples[name]`.
 * - `onWarmupEnd({elapsedMs, items, iterations})` runs when the warm-up ends while the loops keep going; the measured
 *   window starts only once it resolves (e.g. to top up a backlog at the warm-up's observed rate).
 * - `onMeasureStart()` / `onMeasureEnd()` run at the window's edges (e.g. to start/stop a CPU profile).
 * @returns {Promise<{count:number, rate:number, latencies:number[], errors:number, errorKinds:Record<string,number>,
 *   windowMs:number, totalIterations:number, items:number, itemRate:number, work:number, workItems:number,
 *   samples:Record<string,number[]>}>}
 */
async function runClosedLoop({ clients, warmupMs, durationMs, iteration, onWarmupEnd, onMeasureStart, onMeasureEnd }) {
  const t0 = performance.now();
  let measureStart = t0 + warmupMs;
  let measureEnd = onWarmupEnd ? Infinity : measureStart + durationMs;
  const latencies = [];
  const samples = {};
  const errorKinds = {};
  let errors = 0;
  let totalIterations = 0;
  let totalItems = 0;
  let items = 0;
  let work = 0;
  let workItems = 0;
  const inWindow = (t) => t >= measureStart && t <= measureEnd;
  const ctx = {
    inWindow,
    sample(name, startedAt) {
      const now = performance.now();
      if (!inWindow(now)) return;
      (samples[name] || (samples[name] = [])).push(now - startedAt);
    },
  };

  const edges = (async () => {
    await sleep(Math.max(0, measureStart - performance.now()));
    if (onWarmupEnd) {
      await onWarmupEnd({ elapsedMs: performance.now() - t0, items: totalItems, iterations: totalIterations });
      measureStart = performance.now();
      measureEnd = measureStart + durationMs;
    }
    if (onMeasureStart) await onMeasureStart();
    await sleep(Math.max(0, measureEnd - performance.now()));
    if (onMeasureEnd) await onMeasureEnd();
  })();

  async function loop(c) {
    for (let i = 0; performance.now() < measureEnd; i++) {
      const start = performance.now();
      try {
        const moved = await iteration(c, i, ctx);
        const end = performance.now();
        totalIterations++;
        const n = typeof moved === 'number' ? moved : 1;
        totalItems += n;
        if (inWindow(end)) {
          latencies.push(end - start);
          items += n;
        }
        const share = end > start ? Math.max(0, Math.min(end, measureEnd) - Math.max(start, measureStart)) / (end - start) : inWindow(end) ? 1 : 0;
        work += share;
        workItems += share * n;
      } catch (error) {
        errors++;
        const kind = String((error && error.message) || error).slice(0, 120);
        errorKinds[kind] = (errorKinds[kind] || 0) + 1;
        await sleep(10);
      }
    }
  }

  await Promise.all([edges, ...Array.from({ length: clients }, (_, c) => loop(c))]);
  return {
    count: latencies.length,
    rate: latencies.length / (durationMs / 1000),
    latencies,
    errors,
    errorKinds,
    windowMs: durationMs,
    totalIterations,
    items,
    itemRate: items / (durationMs / 1000),
    work,
    workItems,
    samples,
  };
}

module.exports = { createClient, runClosedLoop, sleep };
