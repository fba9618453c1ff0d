import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electionHash, HashOrderMemo, sortByDigest } from '../../src/domain/election/hash-order.js';
import { prng } from './builders.js';

function sortedByHash(names: readonly string[], ip: string): string[] {
  return [...names].sort((a, b) => Buffer.compare(electionHash(a, ip), electionHash(b, ip)));
}

test('the election hash is sha256 of node, "#", and the canonical IP', () => {
  // Reference digest from Python: hashlib.sha256(b"pi-2#2001:db8::10").hexdigest()
  assert.equal(electionHash('pi-2', '2001:0db8:0000::0010').toString('hex'), '0a47a1b2a15ba4f58eed3db50191e19c66ce05e8956731d509a77671d7e2cc8b');
  assert.equal(electionHash('nuc', '192.168.1.240').toString('hex').slice(0, 16), '3ee400ed1a5d38c6');
});

test('a memo\'s order is every node by ascending hash, also after nodes join one by one or in bulk', () => {
  const memo = new HashOrderMemo();
  const names: string[] = [];
  const ip = '10.1.2.3';
  const add = (n: string) => {
    names.push(n);
    memo.idOf(n);
  };
  for (let i = 0; i < 40; i++) add(`node-${i}`);
  const names0 = (order: Uint32Array) => Array.from(order, (id) => memo.nameOf(id));
  assert.deepEqual(names0(memo.orderFor(ip)), sortedByHash(names, ip));
  add('late-1'); // one joiner: inserted by binary search
  assert.deepEqual(names0(memo.orderFor(ip)), sortedByHash(names, ip));
  for (let i = 0; i < 30; i++) add(`bulk-${i}`); // many joiners: rebuilt
  assert.deepEqual(names0(memo.orderFor(ip)), sortedByHash(names, ip));
});

test('pruning keeps ids and live orders while most names are live, and forgets every id once most are gone', () => {
  const memo = new HashOrderMemo();
  const names = Array.from({ length: 100 }, (_, i) => `n${i}`);
  for (const n of names) memo.idOf(n);
  for (let i = 0; i < 200; i++) memo.orderFor(`10.0.0.${i}`);
  memo.prune(100, new Set(['10.0.0.1']));
  assert.equal(memo.nodeCount, 100);
  assert.deepEqual(Array.from(memo.orderFor('10.0.0.1'), (id) => memo.nameOf(id)), sortedByHash(names, '10.0.0.1'));
  memo.prune(10, new Set(['10.0.0.1']));
  assert.equal(memo.nodeCount, 0);
  assert.equal(memo.idOf('fresh'), 0);
  assert.throws(() => memo.nameOf(1), RangeError);
});

test('sorting by digest is bytewise, also for digests whose first bytes are equal', () => {
  const rand = prng(5);
  for (const n of [0, 1, 2, 17, 500]) {
    const digests = Array.from({ length: n }, () => Buffer.from(Array.from({ length: 32 }, () => Math.floor(rand() * 256))));
    // Every third digest shares its first 7 bytes with the one before: the numeric prefix ties.
    for (let i = 1; i < n; i += 3) digests[i - 1]!.copy(digests[i]!, 0, 0, 7);
    const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => Buffer.compare(digests[a]!, digests[b]!));
    assert.deepEqual(Array.from(sortByDigest(digests)), expected, `n=${n}`);
  }
});
