#!/usr/bin/env node
// Runs benchmarks: `npm run bench` runs every bench/*.ts, `npm run bench -- allocator election` the
// named ones. Each benchmark prints one JSON object on stdout; this script passes them through as
// JSON lines so the output can be collected with `npm run -s bench > results.jsonl`.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const all = readdirSync(`${root}bench`).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`run-bench: unknown benchmark(s) ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  console.error(`run-bench: ${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `bench/${name}.ts`], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    console.error(`run-bench: ${name} exited with ${r.status}`);
    failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);
