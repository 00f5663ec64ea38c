'use strict';
/**
 * Starts the built Willow server (`node dist/main.js`) as a child process for a benchmark, on a free 127.0.0.1
 * port with a fresh data directory, and stops it again. Also re-exports the report helpers (percentiles, table)
 * so a bench file can take everything it needs from here.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const report = require('./report.cjs');
const { cpuBudget } = require('./cpu-budget.cjs');

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** run.cjs points this at a private copy of dist/ so a concurrent `nest build` (which empties dist/) cannot break a run. */
const MAIN = process.env.BENCH_SERVER_MAIN ? path.resolve(process.env.BENCH_SERVER_MAIN) : path.join(ROOT, 'dist', 'main.js');
const STOP_GRACE_MS = 10_000;
const OUTPUT_KEEP_CHARS = 64 * 1024;

/** Every server still running, so an aborted bench never leaves one behind. */
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
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(130));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One GET with a fresh connection; resolves the status code (or rejects on a connection error). */
function probe(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * User+system CPU seconds a process has used, from /proc/<pid>/stat (null if unavailable). Assumes CLK_TCK=100.
 * With `children`, adds the CPU of its exited (reaped) children and of its live child processes, e.g. the forked
 * child of a redis-server AOF rewrite.
 */
function readCpuSeconds(pid, { children = false } = {}) {
  const fields = (p) => {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    // Fields after the parenthesised command name: ppid is field 4, utime/stime 14/15, cutime/cstime 16/17 (1-based).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  try {
    const rest = fields(pid);
    let ticks = Number(rest[11]) + Number(rest[12]);
    if (children) {
      ticks += Number(rest[13]) + Number(rest[14]);
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
        try {
          const r = fields(entry);
          if (Number(r[1]) === pid) ticks += Number(r[11]) + Number(r[12]);
        } catch {
          // gone meanwhile
        }
      }
    }
    return ticks / 100;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (null if unavailable, e.g. not Linux). */
function readRssBytes(pid, field = 'VmRSS') {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Whole-host CPU seconds from /proc/stat (all cores): busy (user+nice+system+irq+softirq+steal), iowait, steal.
 * With a process's own CPU seconds this tells how much CPU *other* processes took during a window. Null off Linux.
 */
function readHostCpu() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: (user + nice + system + irq + softirq + steal) / 100, iowait: iowait / 100, steal: steal / 100, idle: idle / 100 };
  } catch {
    return null;
  }
}

/** Peak resident set size (VmHWM) in bytes, or null. */
function readPeakRssBytes(pid) {
  return readRssBytes(pid, 'VmHWM');
}

const PRELOAD = path.join(__dirname, 'cpu-prof-preload.cjs');

/**
 * Start `node dist/main.js` and wait until `GET /health/ready` answers 200.
 * @param {object} [opts]
 * @param {'full'|'normal'} [opts.sync='full'] WILLOW_SYNC
 * @param {Record<string,string>} [opts.env] extra environment (applied last, so it can override anything)
 * @param {number} [opts.readyTimeoutMs=30000]
 * @param {string} [opts.main] server script to run instead of dist/main.js (e.g. a patched copy for an A/B test;
 *   set NODE_PATH to the repo's node_modules when it lives outside the repo)
 * @param {string[]} [opts.nodeArgs] extra node arguments (before dist/main.js); BENCH_NODE_ARGS (space-separated)
 *   adds more
 * @param {boolean} [opts.cpuProfile] profile windows (see profileStart/profileStop); default: BENCH_CPU_PROF=1
 * @param {number} [opts.cpuBudget] cores the server may use at most (a cgroup CPU quota, lib/cpu-budget.cjs): it
 *   stands for a server on a host of its own; throws where no quota can be set
 * @returns {Promise<{url:string, port:number, pid:number, dataDir:string, sync:string, rssBytes:()=>number|null,
 *   rssMb:()=>number|null, peakRssMb:()=>number|null, cpuSeconds:()=>number|null, output:()=>string,
 *   cpuProfDir:string|null, profileStart:()=>void, profileStop:(label:string)=>Promise<string|null>,
 *   outputSummary:()=>{lines:number, first:string[]}, stop:()=>Promise<{code:number|null, signal:string|null, killed:boolean}>}>}
 */
async function startServer(opts = {}) {
  const { sync = 'full', env = {}, readyTimeoutMs = 30_000 } = opts;
  const main = opts.main ? path.resolve(opts.main) : MAIN;
  if (!fs.existsSync(main)) {
    throw new Error(`${path.relative(process.cwd(), main)} not found; run \`npm run build\` first`);
  }
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'willow-bench-'));
  const nodeArgs = [...(opts.nodeArgs || []), ...(process.env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean)];
  const cpuProfile = opts.cpuProfile ?? process.env.BENCH_CPU_PROF === '1';
  const cpuProfDir = cpuProfile ? fs.mkdtempSync(path.join(os.tmpdir(), 'willow-cpuprof-')) : null;
  if (cpuProfile) nodeArgs.push('-r', PRELOAD);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      WILLOW_STORAGE: 'embedded',
      WILLOW_DATA_DIR: dataDir,
      WILLOW_SYNC: sync,
      WILLOW_LOG_LEVEL: 'warn',
      ...(cpuProfDir ? { BENCH_CPU_PROF_DIR: cpuProfDir } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let budget = null;
  if (opts.cpuBudget !== undefined) {
    try {
      budget = cpuBudget(child.pid, opts.cpuBudget, `server-${port}`);
    } catch (error) {
      child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  let out = '';
  let head = '';
  let outLines = 0;
  const keep = (d) => {
    const text = d.toString();
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) outLines++;
    if (head.length < 4096) head += text.slice(0, 4096 - head.length);
    out += text;
    if (out.length > OUTPUT_KEEP_CHARS * 2) out = out.slice(-OUTPUT_KEEP_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      budget?.release();
      resolve({ code, signal });
    }),
  );
  const removeDataDir = () => fs.rmSync(dataDir, { recursive: true, force: true });

  let stopping = null;
  const stop = () => {
    if (stopping) return stopping;
    stopping = (async () => {
      let killed = false;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer;
        const timeout = new Promise((resolve) => {
          timer = setTimeout(() => resolve('timeout'), STOP_GRACE_MS);
        });
        const first = await Promise.race([exited, timeout]);
        clearTimeout(timer);
        if (first === 'timeout') {
          killed = true;
          child.kill('SIGKILL');
        }
      }
      const result = await exited;
      removeDataDir();
      return { ...result, killed };
    })();
    return stopping;
  };

  let profiles = 0;
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await exited;
      removeDataDir();
      throw new Error(`server exited (code ${child.exitCode}, signal ${child.signalCode}) before ready:\n${out}`);
    }
    try {
      if ((await probe(`${url}/health/ready`, 2_000)) === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server did not become ready within ${readyTimeoutMs} ms:\n${out}`);
    }
    await sleep(50);
  }

  return {
    url,
    port,
    pid: child.pid,
    dataDir,
    sync,
    rssBytes: () => readRssBytes(child.pid),
    rssMb: () => {
      const b = readRssBytes(child.pid);
      return b === null ? null : b / (1024 * 1024);
    },
    peakRssMb: () => {
      const b = readPeakRssBytes(child.pid);
      return b === null ? null : b / (1024 * 1024);
    },
    cpuSeconds: () => readCpuSeconds(child.pid),
    output: () => out,
    cpuProfDir,
    /** Start a CPU profile window (no-op unless profiling). */
    profileStart: () => {
      if (cpuProfDir) child.kill('SIGWINCH');
    },
    /** End the window; resolves the written `<label>.cpuprofile` path (null unless profiling). */
    profileStop: async (label) => {
      if (!cpuProfDir) return null;
      const n = (profiles += 1);
      child.kill('SIGWINCH');
      const written = path.join(cpuProfDir, `${n}.cpuprofile`);
      for (let i = 0; i < 600 && !fs.existsSync(written); i++) await sleep(50);
      if (!fs.existsSync(written)) return null;
      const target = path.join(cpuProfDir, `${String(n).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '_')}.cpuprofile`);
      fs.renameSync(written, target);
      return target;
    },
    /** Lines the server wrote to stdout+stderr so far, and its first few distinct ones (e.g. warnings). */
    outputSummary: () => {
      const complete = head.includes('\n') ? head.slice(0, head.lastIndexOf('\n')) : head;
      return { lines: outLines, first: [...new Set(complete.split('\n').filter(Boolean))].slice(0, 3) };
    },
    stop,
  };
}

/**
 * Start a server, run `fn(server)`, and always stop it (and remove its data dir). Server output is printed if
 * `fn` throws.
 */
async function withServer(opts, fn) {
  const server = await startServer(opts);
  try {
    return await fn(server);
  } catch (error) {
    const tail = server.output().trim();
    if (tail) process.stderr.write(`--- server output (tail) ---\n${tail.slice(-8_000)}\n---\n`);
    throw error;
  } finally {
    const { code, signal, killed } = await server.stop();
    const { lines, first } = server.outputSummary();
    if (lines > 0) {
      const shown = first.map((l) => `  | ${l.length > 300 ? `${l.slice(0, 300)}...` : l}`).join('\n');
      process.stderr.write(`note: server (sync=${server.sync}) wrote ${lines} line(s) of output; first distinct:\n${shown}\n`);
    }
    if (killed || (code !== 0 && code !== null) || (signal && signal !== 'SIGTERM')) {
      process.stderr.write(`note: server pid ${server.pid} ended code=${code} signal=${signal} killed=${killed}\n`);
    }
  }
}

module.exports = { ROOT, MAIN, startServer, withServer, freePort, readRssBytes, readPeakRssBytes, readCpuSeconds, readHostCpu, ...report };
