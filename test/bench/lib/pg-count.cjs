'use strict';
/**
 * Counts the statements a process sends to PostgreSQL through node-postgres: wraps `pg.Client.prototype.query` (which
 * `Pool.query` and every pooled client go through) and tallies each call by its first SQL word. Used in two ways:
 *
 * - in the bench process itself (`installQueryCounter()`), for peers whose client library runs here (pg-boss,
 *   graphile-worker);
 * - preloaded into a Willow server (`node -r test/bench/lib/pg-count-preload.cjs`, with BENCH_PG_COUNT_FILE set): the counts
 *   are then written to that file (atomically, by rename) every BENCH_PG_COUNT_INTERVAL_MS (50) while they change,
 *   and `readCountFile()` reads them back. A window's delta is off by at most one interval at each edge; over many
 *   slices those errors average out.
 *
 * A client whose `benchUncounted` property is true (the bench's own monitoring connection) is not counted.
 */
const fs = require('node:fs');

const KINDS = ['BEGIN', 'COMMIT', 'ROLLBACK', 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', 'OTHER'];

function newCounts() {
  const c = { total: 0 };
  for (const k of KINDS) c[k] = 0;
  return c;
}

const counts = newCounts();

function kindOf(text) {
  if (typeof text !== 'string') return 'OTHER';
  const m = /^\s*([A-Za-z]+)/.exec(text);
  if (!m) return 'OTHER';
  const word = m[1].toUpperCase();
  if (word === 'START') return 'BEGIN';
  if (word === 'END') return 'COMMIT';
  return counts[word] === undefined ? 'OTHER' : word;
}

/** Patch node-postgres once (idempotent); returns the live counts object. */
function installQueryCounter(pg = require('pg')) {
  const proto = pg.Client.prototype;
  if (proto.query.benchCounted) return counts;
  const original = proto.query;
  const counted = function query(config, ...rest) {
    if (!this.benchUncounted) {
      const text = typeof config === 'string' ? config : config && config.text;
      counts.total++;
      counts[kindOf(text)]++;
    }
    return original.call(this, config, ...rest);
  };
  counted.benchCounted = true;
  proto.query = counted;
  return counts;
}

/** A copy of the counts now (for a delta later). */
function snapshot(c = counts) {
  return { ...c };
}

function diff(after, before) {
  const d = newCounts();
  for (const k of Object.keys(d)) d[k] = (after[k] || 0) - (before[k] || 0);
  return d;
}

/** Counts last written by a server preloaded with this file; null if none yet. */
function readCountFile(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function startFileWriter(file, intervalMs) {
  let last = -1;
  const write = () => {
    if (counts.total === last) return;
    last = counts.total;
    try {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(counts));
      fs.renameSync(`${file}.tmp`, file);
    } catch {
      // the bench removed the directory while we were stopping
    }
  };
  write();
  setInterval(write, intervalMs).unref();
}

module.exports = { KINDS, installQueryCounter, snapshot, diff, readCountFile, newCounts, startFileWriter };
