import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/io/logger.js';
import { StatusWriter } from '../../src/standalone/status-file.js';
import { ManualClock } from '../support/manual-clock.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlb-status-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const quiet = createLogger({ format: 'text', level: 'error', write: () => undefined });

/** Lets the writer's file operations (real I/O) finish. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

function writer(path: string, clock: ManualClock): { w: StatusWriter; snapshots: () => number; state: { n: number } } {
  const state = { n: 0 };
  let taken = 0;
  const w = new StatusWriter({
    path,
    clock,
    logger: quiet,
    snapshot: () => {
      taken += 1;
      return { n: state.n };
    },
  });
  return { w, snapshots: () => taken, state };
}

test('a thousand changes in one instant make one write, with the latest state', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'a.json');
  const { w, snapshots, state } = writer(path, clock);
  for (let i = 1; i <= 1000; i++) {
    state.n = i;
    w.changed();
  }
  clock.advance(0);
  await settle();
  assert.equal(snapshots(), 1);
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { n: 1000 });
});

test('changes of counters alone wait a second; a state change right after is written sooner', async () => {
  const clock = new ManualClock();
  const { w, snapshots, state } = writer(join(dir, 'b.json'), clock);
  w.changed();
  clock.advance(0);
  await settle();
  assert.equal(snapshots(), 1);
  state.n = 1;
  w.countersChanged();
  clock.advance(500);
  await settle();
  assert.equal(snapshots(), 1, 'counters alone are not written within the second');
  w.changed();
  clock.advance(0);
  await settle();
  assert.equal(snapshots(), 2, 'a state change brings the write forward');
});

test('flush writes the final snapshot at once', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'c.json');
  const { w, state } = writer(path, clock);
  state.n = 7;
  await w.flush();
  assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { n: 7 });
  assert.equal(clock.pendingCount, 0, 'no timer is left behind');
});
