import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'airlb-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bad = join(dir, 'bad.yaml');
writeFileSync(
  bad,
  [
    'apiVersion: metallb.io/v1beta2', // 1
    'kind: BGPPeer', //                  2
    'metadata: {name: router}', //       3
    'spec:', //                          4
    '  myASN: 0', //                     5
    '  peerASN: 64501', //               6
    '  peerAddress: 192.168.1.1', //     7
    '  holdTime: 1s', //                 8
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web}',
  ].join('\n'),
);

test('validate exits 0 and says so for the seed manifests', async () => {
  const result = await runCli(['validate', '-f', 'test/fixtures/seed/seed-bgp.yaml']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.match(result.stdout, /^valid: 1 file checked\n$/);
});

test('validate accepts a folder and several -f flags', async () => {
  const result = await runCli(['validate', '-f', 'test/fixtures/config', '-f', 'test/fixtures/seed/seed-l2-wired-node.yaml']);
  // The fixtures' pool and the seed's pool do not overlap; the List's Deployment is only a note.
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /kubectl-list\.yaml:40: note: skipped apps\/v1 Deployment\/web/);
});

test('validate exits 1 with every error on stderr as FILE:LINE: Kind/name: path: message, and notes for skipped kinds', async () => {
  const result = await runCli(['validate', '-f', bad]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trim().split('\n');
  assert.deepEqual(lines, [
    `${bad}:10: note: skipped apps/v1 Deployment/web (not a kind airlb reads)`,
    `${bad}:5: BGPPeer/router: spec.myASN: myASN is 0, a reserved AS number (RFC 7607); set your own AS, e.g. one from the private range 64512-65534 (RFC 6996)`,
    `${bad}:8: BGPPeer/router: spec.holdTime: holdTime 1s is too short: the hold time must be 0 (no keepalives) or at least 3s (RFC 4271 §4.2)`,
    '2 problems found',
  ]);
});

test('validate --json prints {valid, errors, warnings} on stdout with the issue fields', async () => {
  const result = await runCli(['validate', '-f', bad, '--json']);
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout) as { valid: boolean; errors: Record<string, unknown>[] };
  assert.equal(report.valid, false);
  assert.equal(report.errors.length, 2);
  assert.deepEqual(Object.keys(report.errors[0]!).sort(), ['file', 'kind', 'line', 'message', 'name', 'path']);
  assert.deepEqual([report.errors[0]!['file'], report.errors[0]!['line'], report.errors[0]!['kind'], report.errors[0]!['name'], report.errors[0]!['path']], [bad, 5, 'BGPPeer', 'router', 'spec.myASN']);
  const ok = await runCli(['validate', '-f', 'test/fixtures/seed/seed-bgp.yaml', '--json']);
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.stdout), { valid: true, errors: [], warnings: [] });
});

test('validate exits 2 without -f, with an unknown flag, or with a path that does not exist', async () => {
  const none = await runCli(['validate']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give at least one -f PATH/);
  const flag = await runCli(['validate', '--strict', '-f', bad]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--strict/);
  const missing = await runCli(['validate', '-f', join(dir, 'missing.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing\.yaml: it does not exist; check the -f argument \[config-not-found\]/);
});

test('validate --help prints usage and exits 0', async () => {
  const result = await runCli(['validate', '--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Usage: airlb validate -f PATH/);
});
