#!/usr/bin/env node
'use strict';
/**
 * Completes package-lock.json with the platform-specific optional packages (other OSes' and CPUs' native builds,
 * e.g. @swc/core-darwin-arm64) that `npm install` leaves out when the registry it talks to does not serve them.
 * Without those entries `npm ci` refuses the lockfile as "out of sync". Each added entry is what npm writes on a
 * machine that can see the package: its exact version from the parent's optionalDependencies, marked optional, with
 * os/cpu/libc so npm skips it on other platforms without fetching it.
 *
 * Run after every dependency change:  node .ci/complete-lockfile.cjs   (--check: exit 1 if entries are missing)
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const npmRoot = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
const Arborist = require(path.join(npmRoot, 'node_modules', '@npmcli', 'arborist'));

const OSES = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];

function platformOf(name) {
  const base = name.split('/').pop();
  const os = OSES.find((o) => base.includes(`-${o}-`) || base.endsWith(`-${o}`));
  const cpu = CPUS.find((c) => new RegExp(`-${c}(-|$)`).test(base));
  const libc = /musl/.test(base) ? 'musl' : /-(gnu|glibc)/.test(base) ? 'glibc' : null;
  return { os, cpu, libc };
}

async function main() {
  const check = process.argv.includes('--check');
  const file = path.join(root, 'package-lock.json');
  const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
  const ideal = new Arborist({ path: root });
  await ideal.buildIdealTree();
  const added = [];
  for (const node of ideal.idealTree.inventory.values()) {
    const key = node.location;
    if (!key || lock.packages[key] || !node.optional || node.version) continue;
    const parentKey = key.slice(0, key.lastIndexOf('/node_modules/'));
    const version = lock.packages[parentKey]?.optionalDependencies?.[node.name];
    const { os, cpu, libc } = platformOf(node.name);
    if (!version || !os || !cpu) throw new Error(`cannot complete ${key}: unknown version or platform; add it by hand`);
    lock.packages[key] = {
      version,
      ...(lock.packages[parentKey]?.dev ? { dev: true } : {}),
      optional: true,
      cpu: [cpu],
      ...(libc ? { libc: [libc] } : {}),
      os: [os],
    };
    added.push(`${node.name}@${version}`);
  }
  if (check) {
    if (added.length) {
      console.error(`package-lock.json lacks ${added.length} optional platform packages; run node .ci/complete-lockfile.cjs`);
      process.exit(1);
    }
    return;
  }
  const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
  fs.writeFileSync(file, JSON.stringify({ ...lock, packages: sorted }, null, 2) + '\n');
  console.log(added.length ? `added ${added.length} entries:\n  ${added.join('\n  ')}` : 'package-lock.json is complete');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
