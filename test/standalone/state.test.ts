import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { PlanEntry } from '../../src/domain/allocator/plan.js';
import { AirlbError } from '../../src/errors.js';
import { decodeState, loadState, sameState, saveState, stateOf } from '../../src/standalone/state.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlb-state-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const entries: PlanEntry[] = [
  { namespace: 'web', name: 'b', ips: ['192.168.1.241', 'fd00::1'], pool: 'lan', error: null, reason: null },
  { namespace: 'db', name: 'a', ips: ['192.168.1.240'], pool: 'lan', error: null, reason: null },
  { namespace: 'x', name: 'none', ips: [], pool: null, error: 'pool exhausted', reason: 'pool-exhausted' },
];

test('the state keeps only Services holding addresses, keyed namespace/name in sorted order', () => {
  const state = stateOf(entries);
  assert.deepEqual(Object.keys(state.services), ['db/a', 'web/b']);
  assert.deepEqual(state.services['web/b'], { ips: ['192.168.1.241', 'fd00::1'], pool: 'lan' });
  assert.equal(state.version, 1);
});

test('a saved state loads back as the same assignments', async () => {
  const path = join(dir, 'sub', 'state.json');
  await saveState(path, stateOf(entries));
  assert.deepEqual(await loadState(path), [
    { namespace: 'db', name: 'a', ips: ['192.168.1.240'] },
    { namespace: 'web', name: 'b', ips: ['192.168.1.241', 'fd00::1'] },
  ]);
  assert.match(await readFile(path, 'utf8'), /"version": 1/);
});

test('a missing state file means no previous assignments', async () => {
  assert.deepEqual(await loadState(join(dir, 'nope.json')), []);
});

test('a state file from a newer airlb is refused rather than dropped', () => {
  assert.throws(() => decodeState({ version: 2, services: {} }, 's.json'), (err: unknown) => err instanceof AirlbError && err.code === 'state-too-new');
});

test('malformed state files are refused with the path and what is wrong', async () => {
  for (const bad of [[], { version: 1 }, { version: 1, services: { nokey: { ips: [] } } }, { version: 1, services: { 'a/b': { ips: [1] } } }]) {
    assert.throws(() => decodeState(bad, 's.json'), (err: unknown) => err instanceof AirlbError && err.code === 'state-corrupt' && err.message.includes('s.json'));
  }
  const path = join(dir, 'broken.json');
  await writeFile(path, '{ not json');
  await assert.rejects(loadState(path), (err: unknown) => err instanceof AirlbError && err.code === 'state-corrupt');
});

test('sameState tells an unchanged allocation from a changed one', () => {
  assert.equal(sameState(stateOf(entries), stateOf([...entries].reverse())), true);
  assert.equal(sameState(stateOf(entries), stateOf(entries.slice(1))), false);
});
