#!/usr/bin/env node
// The product supports Node 20, 22 and 24. `npm test` runs everything on the machine's Node; this
// script runs the tests that need no network namespaces (the pure core, codecs, CLI) and loads the
// native addon on Node 22 and 24 too. The Node binaries come from the npm registry's node-linux-*
// packages into a cache folder. Usage: node scripts/test-node-versions.mjs [22 24]
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24'];
const cache = process.env.AIRLB_NODE_CACHE ?? '/tmp/airlb-node-versions';
const platformPackage = `node-${process.platform}-${process.arch}`;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : name.endsWith('.test.ts') ? [full] : [];
  });
}
// Tests that build namespaces say so by calling requireNetworkPrivileges(); the rest are portable.
const portable = walk(join(root, 'test'))
  .filter((f) => !readFileSync(f, 'utf8').includes('requireNetworkPrivileges('))
  .map((f) => relative(root, f))
  .sort();

let failed = 0;
for (const major of versions) {
  const prefix = join(cache, major);
  const bin = join(prefix, 'node_modules', platformPackage, 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    const install = spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', `${platformPackage}@${major}`], { stdio: 'inherit' });
    if (install.status !== 0) {
      console.error(`test-node-versions: could not install Node ${major} (${platformPackage}@${major})`);
      failed++;
      continue;
    }
  }
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.error(`test-node-versions: Node ${version}: ${portable.length} test files, the native addon, and the CLI`);
  const addon = spawnSync(bin, ['-e', "require('./build/Release/airlb_native.node').packetOpen || process.exit(1)"], { cwd: root, stdio: 'inherit' });
  const cli = spawnSync(bin, ['bin/airlb.js', '--version'], { cwd: root, stdio: 'inherit' });
  const tests = spawnSync(bin, ['--import', 'tsx', '--test', '--test-reporter=dot', ...portable], { cwd: root, stdio: 'inherit' });
  for (const [what, r] of [['native addon', addon], ['CLI', cli], ['tests', tests]]) {
    if (r.status !== 0) {
      console.error(`test-node-versions: Node ${version}: ${what} failed`);
      failed++;
    }
  }
}
process.exit(failed === 0 ? 0 : 1);
