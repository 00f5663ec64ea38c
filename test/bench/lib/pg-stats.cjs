'use strict';
/**
 * PostgreSQL-side bookkeeping for a benchmark row, per measured window (the slices lib/measure.cjs runs):
 *
 * - db cpu: user+system CPU of the PostgreSQL server (the postmaster, its live children and its reaped children,
 *   from /proc), when the server runs on this host (found through the pid of our own backend); otherwise unknown.
 *   It covers every session of the cluster, so another client's load shows up here too (the embedded-store rows,
 *   which send nothing to PostgreSQL, show that background).
 * - WAL bytes written (pg_current_wal_lsn), cluster-wide as well.
 * - statements sent by the system under test (pg-count.cjs): the Willow servers' counts read from their count files,
 *   or this process's own counts for client libraries that run here (pg-boss, graphile-worker).
 *
 * `withPgStats(target, monitor, statements)` returns a target (see measure.cjs) whose profileStart/profileStop also
 * take these readings; the sums are kept per variant name and `monitor.statsFor(name)` returns them.
 */
const fs = require('node:fs');
const { readCpuSeconds } = require('./server.cjs');
const { snapshot, diff, newCounts } = require('./pg-count.cjs');

function parentPid(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function commOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

class PgMonitor {
  /** @param {string} url */
  static async open(url) {
    const pg = require('pg');
    const client = new pg.Client({ connectionString: url, application_name: 'willow-bench-monitor' });
    client.benchUncounted = true;
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query(
      "SELECT pg_backend_pid() AS pid, current_setting('server_version') AS version, current_setting('max_connections')::int AS max, " +
        "(SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used",
    );
    const backend = rows[0].pid;
    // Our backend's parent is the postmaster when PostgreSQL runs on this host (and /proc shows it).
    let postmaster = null;
    if (commOf(backend) !== null) {
      const ppid = parentPid(backend);
      if (ppid && commOf(ppid) && readCpuSeconds(ppid) !== null) postmaster = ppid;
    }
    return new PgMonitor(client, { version: rows[0].version, postmaster, maxConnections: rows[0].max, usedConnections: rows[0].used });
  }

  constructor(client, info) {
    this.client = client;
    this.info = info;
    this.stats = new Map();
  }

  /** CPU seconds of the whole PostgreSQL server, or null when it is not on this host. */
  dbCpuSeconds() {
    return this.info.postmaster ? readCpuSeconds(this.info.postmaster, { children: true }) : null;
  }

  async walBytes() {
    try {
      const { rows } = await this.client.query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8 AS b");
      return rows[0].b;
    } catch {
      return null;
    }
  }

  async query(text, values) {
    return this.client.query(text, values);
  }

  async dropSchema(schema) {
    await this.client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }

  statsFor(name) {
    let s = this.stats.get(name);
    if (!s) {
      s = { dbCpuS: 0, dbKnown: true, walBytes: 0, walKnown: true, statements: newCounts(), statementsKnown: true, slices: 0 };
      this.stats.set(name, s);
    }
    return s;
  }

  async close() {
    await this.client.end().catch(() => undefined);
  }
}

/**
 * @param {object} target a measure.cjs target
 * @param {PgMonitor} monitor
 * @param {(() => object|null)|null} statements current statement counts of the system under test (null: unknown)
 */
function withPgStats(target, monitor, statements) {
  let start = null;
  return {
    ...target,
    profileStart() {
      target.profileStart();
      start = { db: monitor.dbCpuSeconds(), st: statements ? statements() : null, wal: monitor.walBytes() };
    },
    async profileStop(label) {
      const db = monitor.dbCpuSeconds();
      const st = statements ? statements() : null;
      const wal = await monitor.walBytes();
      const s = monitor.statsFor(label.replace(/ #\d+$/, ''));
      s.slices++;
      if (start) {
        const wal0 = await start.wal;
        if (db !== null && start.db !== null) s.dbCpuS += db - start.db;
        else s.dbKnown = false;
        if (wal !== null && wal0 !== null) s.walBytes += wal - wal0;
        else s.walKnown = false;
        if (st && start.st) {
          const d = diff(st, start.st);
          for (const k of Object.keys(d)) s.statements[k] += d[k];
        } else s.statementsKnown = false;
      }
      start = null;
      return target.profileStop(label);
    },
  };
}

/** Statement counts of this process (pg-count.cjs installed here). */
function inProcessStatements(counts) {
  return () => snapshot(counts);
}

module.exports = { PgMonitor, withPgStats, inProcessStatements };
