import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkPrerequisites } from '../../src/lab/preflight.js';

const bin = mkdtempSync(join(tmpdir(), 'airlb-preflight-'));
for (const tool of ['ip', 'bridge']) writeFileSync(join(bin, tool), '#!/bin/sh\n', { mode: 0o755 });
after(() => rmSync(bin, { recursive: true, force: true }));

function errorOf(fn: () => void): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  assert.fail('expected an error');
}

test('the preflight without root fails with lab-not-root and says to use sudo', () => {
  const err = errorOf(() => checkPrerequisites({ uid: 1000, path: bin }));
  assert.equal(err.code, 'lab-not-root');
  assert.match(err.message, /sudo/);
});

test('the preflight without nft fails with lab-missing-tool naming the package to install', () => {
  const err = errorOf(() => checkPrerequisites({ uid: 0, path: bin }));
  assert.equal(err.code, 'lab-missing-tool');
  assert.match(err.message, /'nft'.*apt-get install nftables/);
});

test('with root and every tool on PATH the preflight passes', () => {
  writeFileSync(join(bin, 'nft'), '#!/bin/sh\n', { mode: 0o755 });
  checkPrerequisites({ uid: 0, path: `/nonexistent:${bin}` });
});

