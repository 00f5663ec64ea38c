'use strict';
/**
 * Preloaded into the server (`node --expose-gc -r`) by a bench that wants to tell memory the server holds from
 * garbage it has not collected yet (which RSS cannot: V8 keeps freed pages for a while). Each SIGURG (ignored by
 * default; unused by Nest and by cpu-prof-preload.cjs) runs a full garbage collection and then writes
 * `{heapUsed, external, arrayBuffers, rss}` (bytes, from process.memoryUsage()) as JSON to $BENCH_HEAP_FILE.
 */
const fs = require('node:fs');

const file = process.env.BENCH_HEAP_FILE;

process.on('SIGURG', () => {
  if (typeof global.gc !== 'function' || !file) return;
  global.gc();
  const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage();
  fs.writeFileSync(`${file}.tmp`, JSON.stringify({ heapUsed, external, arrayBuffers, rss }));
  fs.renameSync(`${file}.tmp`, file);
});
