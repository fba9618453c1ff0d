import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { watchForReload, type ReloadCause } from '../../src/standalone/reload.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlb-reload-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Resolves with the reloads seen once `quietMs` passed without another one (bounded by 5 s). */
function collect(): { causes: ReloadCause[]; onReload: (cause: ReloadCause) => void; settle: (quietMs: number) => Promise<ReloadCause[]> } {
  const causes: ReloadCause[] = [];
  let last = Date.now();
  return {
    causes,
    onReload: (cause) => {
      causes.push(cause);
      last = Date.now();
    },
    settle: async (quietMs) => {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && (causes.length === 0 || Date.now() - last < quietMs)) await new Promise((r) => setTimeout(r, 20));
      return causes;
    },
  };
}

test('several writes to a watched folder in quick succession make one reload', async () => {
  const folder = join(dir, 'folder');
  await mkdir(join(folder, 'nested'), { recursive: true });
  const seen = collect();
  const watch = await watchForReload({ paths: [folder], debounceMs: 100, onReload: seen.onReload, onWatchError: (p, e) => assert.fail(`${p}: ${e.message}`), signals: new EventEmitter() });
  try {
    for (let i = 0; i < 5; i++) await writeFile(join(folder, 'nested', 'pool.yaml'), `# ${i}\n`);
    assert.deepEqual(await seen.settle(400), ['file-change']);
  } finally {
    watch.close();
  }
});

test('a watched file replaced by rename (how editors save) still triggers a reload', async () => {
  const file = join(dir, 'config.yaml');
  await writeFile(file, 'a: 1\n');
  const seen = collect();
  const watch = await watchForReload({ paths: [file], debounceMs: 50, onReload: seen.onReload, onWatchError: (p, e) => assert.fail(`${p}: ${e.message}`), signals: new EventEmitter() });
  try {
    await writeFile(join(dir, '.config.yaml.swp'), 'a: 2\n');
    await rename(join(dir, '.config.yaml.swp'), file);
    assert.deepEqual(await seen.settle(300), ['file-change']);
  } finally {
    watch.close();
  }
});

test('changes to other files next to a watched file do not reload', async () => {
  const file = join(dir, 'only.yaml');
  await writeFile(file, 'a: 1\n');
  const seen = collect();
  const watch = await watchForReload({ paths: [file], debounceMs: 50, onReload: seen.onReload, onWatchError: () => undefined, signals: new EventEmitter() });
  try {
    await writeFile(join(dir, 'unrelated.txt'), 'x');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(seen.causes, []);
  } finally {
    watch.close();
  }
});

test('SIGHUP reloads at once, and not after close', async () => {
  const signals = new EventEmitter();
  const seen = collect();
  const watch = await watchForReload({ paths: [dir], debounceMs: 50, onReload: seen.onReload, onWatchError: () => undefined, signals });
  signals.emit('SIGHUP');
  assert.deepEqual(seen.causes, ['sighup']);
  watch.close();
  signals.emit('SIGHUP');
  assert.deepEqual(seen.causes, ['sighup']);
  assert.equal(signals.listenerCount('SIGHUP'), 0, 'the handler is removed');
});
