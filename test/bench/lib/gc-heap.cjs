'use strict';
/**
 * The bench side of gc-preload.cjs: asks a server started with `--expose-gc -r lib/gc-preload.cjs` and
 * BENCH_HEAP_FILE=`heapFile` for a full garbage collection (SIGURG) and reads what it reports right after:
 * `{heapUsed, external, arrayBuffers, rss}` in bytes, or null when nothing came within `waitMs`.
 */
const fs = require('node:fs');
const { sleep } = require('./http.cjs');

async function heapAfterGc(server, heapFile, waitMs) {
  fs.rmSync(heapFile, { force: true });
  process.kill(server.pid, 'SIGURG');
  for (let waited = 0; waited < waitMs && !fs.existsSync(heapFile); waited += 25) await sleep(25);
  if (!fs.existsSync(heapFile)) return null;
  return JSON.parse(fs.readFileSync(heapFile, 'utf8'));
}

module.exports = { heapAfterGc };
