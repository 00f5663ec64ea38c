'use strict';
/**
 * A CPU budget for one process: a cgroup of its own whose CFS quota lets it use at most `cores` of a core (0.3 =
 * 30 ms of CPU in every 100 ms), its threads and later children included. It stands for a process on a host of
 * its own, no faster than that budget, so a bench can put several servers side by side on one machine without
 * their sharing the machine's cores with each other (and with the database and the load generator) deciding the
 * result.
 *
 * Needs Linux and write access to the cgroup file system: cgroup v2 (`cpu.max`, the cpu controller enabled for
 * the root's children) or v1 (`cpu/cpu.cfs_quota_us`). `cpuBudget` throws, saying why, where neither works.
 */
const fs = require('node:fs');
const path = require('node:path');

const PERIOD_US = 100_000;
const V2_ROOT = '/sys/fs/cgroup';
const V1_CPU = '/sys/fs/cgroup/cpu';

/** Where cgroups with a CPU quota can be made here: { kind: 'v2' | 'v1', dir } or an explanation of why not. */
function cgroupRoot() {
  const v2 = path.join(V2_ROOT, 'cgroup.subtree_control');
  if (fs.existsSync(v2)) {
    const enabled = fs.readFileSync(v2, 'utf8').split(/\s+/);
    if (enabled.includes('cpu')) return { kind: 'v2', dir: V2_ROOT };
    return { error: `cgroup v2 without the cpu controller for the root's children (${v2}: "${enabled.join(' ').trim()}")` };
  }
  if (fs.existsSync(path.join(V1_CPU, 'cpu.cfs_quota_us'))) return { kind: 'v1', dir: V1_CPU };
  return { error: `no cgroup file system with a CPU quota (neither ${v2} nor ${V1_CPU}/cpu.cfs_quota_us)` };
}

/** Moves process `pid` (all its threads) into a new cgroup limited to `cores` of a core; `release()` removes the
 * cgroup once the process has ended. */
function cpuBudget(pid, cores, label) {
  if (!(cores > 0)) throw new Error(`a CPU budget must be a positive number of cores (got ${cores})`);
  const root = cgroupRoot();
  if (root.error) throw new Error(`cannot give a process a CPU budget: ${root.error}`);
  const dir = path.join(root.dir, `willow-bench-${process.pid}-${label.replace(/[^\w.-]+/g, '_')}`);
  const quota = Math.max(1_000, Math.round(cores * PERIOD_US));
  try {
    fs.mkdirSync(dir);
    if (root.kind === 'v2') {
      fs.writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    } else {
      fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  } catch (error) {
    removeDir(dir);
    throw new Error(`cannot give pid ${pid} a CPU budget in ${dir}: ${error.message} (run as root, on Linux)`);
  }
  return { release: () => removeDir(dir) };
}

function removeDir(dir) {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not made, or a process still in it (it goes with the machine's next boot)
  }
}

module.exports = { cpuBudget };
