'use strict';
/**
 * Preloaded into a Willow server (`node -r`) by the PostgreSQL bench: counts the statements the server sends to
 * PostgreSQL and publishes the counts to $BENCH_PG_COUNT_FILE (see pg-count.cjs).
 */
const { installQueryCounter, startFileWriter } = require('./pg-count.cjs');

if (process.env.BENCH_PG_COUNT_FILE) {
  installQueryCounter();
  startFileWriter(process.env.BENCH_PG_COUNT_FILE, Number(process.env.BENCH_PG_COUNT_INTERVAL_MS || 50));
}
