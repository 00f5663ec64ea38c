'use strict';
/**
 * Preloaded into the server (`node -r`) by server.cjs when BENCH_CPU_PROF=1. Profiles chosen windows with the V8
 * CPU profiler through an in-process inspector session (the same profiler and .cpuprofile format as
 * `node --cpu-prof`, which only writes on a normal exit, while Nest re-raises SIGTERM and so never exits normally):
 * the first SIGWINCH (not SIGUSR2: Nest's enableShutdownHooks() shuts down on it; SIGWINCH is ignored by default)
 * starts a profile, the next one stops it and writes
 * `$BENCH_CPU_PROF_DIR/<n>.cpuprofile`, and so on.
 */
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.BENCH_CPU_PROF_DIR;
const interval = Number(process.env.BENCH_CPU_PROF_INTERVAL_US || 500);
const session = new inspector.Session();
session.connect();
let running = false;
let n = 0;

function post(method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

process.on('SIGWINCH', () => {
  if (!running) {
    running = true;
    post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval }))
      .then(() => post('Profiler.start'))
      .catch((e) => process.stderr.write(`cpu-prof: start failed: ${e}\n`));
    return;
  }
  running = false;
  const file = path.join(dir, `${++n}.cpuprofile`);
  post('Profiler.stop')
    .then(({ profile }) => {
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(profile));
      fs.renameSync(`${file}.tmp`, file);
    })
    .catch((e) => process.stderr.write(`cpu-prof: stop failed: ${e}\n`));
});
