import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCommunity, parseCommunity, resolveCommunities } from '../../src/domain/config/index.js';
import { load } from './helpers.js';

test('a standard community is ASN:value packed into one 32-bit number (RFC 1997)', () => {
  // NO_EXPORT is 0xFFFFFF01 (RFC 1997 "Well-known Communities").
  assert.deepEqual(parseCommunity('65535:65281'), { ok: true, community: { kind: 'standard', value: 0xffffff01 } });
  assert.deepEqual(parseCommunity('0:0'), { ok: true, community: { kind: 'standard', value: 0 } });
});

test('a large community is three 32-bit fields after "large:" (RFC 8092)', () => {
  assert.deepEqual(parseCommunity('large:4294967295:0:7'), { ok: true, community: { kind: 'large', globalAdmin: 4294967295, localData1: 0, localData2: 7 } });
});

test('out-of-range, signed, padded or non-decimal fields are refused as bad values', () => {
  for (const text of ['65536:1', '1:65536', '-1:5', '+1:5', '01:5', '1:0x10', ' 1:5', 'large:4294967296:0:0', 'large:1:2:x', 'big:1:2:3']) {
    const parsed = parseCommunity(text);
    assert.equal(parsed.ok, false, text);
    assert.equal(!parsed.ok && parsed.problem, 'value', text);
  }
});

test('text not shaped like a community is a format problem (it may be an alias)', () => {
  for (const text of ['no-export', '1:2:3', '', 'large:1:2']) {
    const parsed = parseCommunity(text);
    assert.equal(!parsed.ok && parsed.problem, 'format', text);
  }
});

test('formatCommunity writes what parseCommunity reads', () => {
  for (const text of ['65535:65281', '0:1', 'large:1:2:3']) {
    const parsed = parseCommunity(text);
    assert.ok(parsed.ok);
    assert.equal(formatCommunity(parsed.community), text);
  }
});

test('resolveCommunities expands aliases, keeps the written order and drops repeats', () => {
  const yaml = [
    'apiVersion: metallb.io/v1beta1',
    'kind: Community',
    'metadata: {name: c}',
    'spec:',
    '  communities:',
    '    - {name: no-export, value: "65535:65281"}',
    '    - {name: big, value: "large:1:2:3"}',
    '---',
    'apiVersion: metallb.io/v1beta1',
    'kind: BGPAdvertisement',
    'metadata: {name: b}',
    'spec:',
    '  communities: ["64500:1", big, no-export, "65535:65281"]',
  ].join('\n');
  const { config, issues } = load(yaml);
  assert.deepEqual(issues, []);
  assert.deepEqual(resolveCommunities(config.bgpAdvertisements[0]!, config.communities), [
    { kind: 'standard', value: 64500 * 65536 + 1 },
    { kind: 'large', globalAdmin: 1, localData1: 2, localData2: 3 },
    { kind: 'standard', value: 0xffffff01 },
  ]);
});
