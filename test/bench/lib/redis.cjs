'use strict';
/**
 * Starts a private `redis-server` for a benchmark on a free 127.0.0.1 port with its own temp dir (never the
 * machine's Redis on 6379): AOF on with `appendfsync everysec`, no RDB snapshots. Stops it (and removes the dir)
 * on stop() or when this process exits.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, readCpuSeconds, readRssBytes } = require('./server.cjs');

const live = new Set();
process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * @param {{bin?: string, args?: string[], readyTimeoutMs?: number}} [opts]
 * @returns {Promise<{host:string, port:number, pid:number, dir:string, version:string, cpuSeconds:()=>number|null,
 *   rssMb:()=>number|null, aofBytes:()=>number, output:()=>string, stop:()=>Promise<void>}>}
 */
async function startRedis(opts = {}) {
  const { bin = process.env.BENCH_REDIS_SERVER || 'redis-server', args = [], readyTimeoutMs = 15_000 } = opts;
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'willow-bench-redis-'));
  const child = spawn(
    bin,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--daemonize', 'no',
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--dir', dir,
      '--logfile', '',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  let out = '';
  const keep = (d) => {
    out += d.toString();
    if (out.length > 64 * 1024) out = out.slice(-32 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => live.delete(child));
  const spawnError = new Promise((_, reject) => child.once('error', reject));

  const deadline = Date.now() + readyTimeoutMs;
  const ready = (async () => {
    while (!/Ready to accept connections/.test(out)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited before ready:\n${out}`);
      if (Date.now() > deadline) throw new Error(`redis-server not ready within ${readyTimeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const version = (/\bv=([\d.]+)/.exec(out) || /Redis version=([\d.]+)/.exec(out) || [])[1] || '?';

  let stopping = null;
  const stop = () => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  return {
    host: '127.0.0.1',
    port,
    pid: child.pid,
    dir,
    version,
    /** redis-server's CPU including its forked children (AOF rewrite). */
    cpuSeconds: () => readCpuSeconds(child.pid, { children: true }),
    rssMb: () => {
      const b = readRssBytes(child.pid);
      return b === null ? null : b / (1024 * 1024);
    },
    aofBytes: () => {
      let total = 0;
      const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else total += fs.statSync(p).size;
        }
      };
      try {
        walk(dir);
      } catch {
        // gone
      }
      return total;
    },
    output: () => out,
    stop,
  };
}

module.exports = { startRedis };
