import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, formatCidr, parseCidr, parseIp, rangeToCidrs, cidrToRange } from '../src/domain/net/ip.js';

test('IPv4 parsing accepts dotted quads and refuses ambiguous or out-of-range text', () => {
  assert.deepEqual(parseIp('192.168.1.200'), { family: 4, value: 0xc0a801c8n });
  for (const bad of ['192.168.1', '192.168.1.256', '192.168.01.1', '1.2.3.4.5', '', 'a.b.c.d', '1.2.3.4 ']) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('IPv6 parsing handles compression and embedded IPv4, and output is RFC 5952 canonical', () => {
  assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalIp('::'), '::');
  assert.equal(canonicalIp('::1'), '::1');
  assert.equal(canonicalIp('fe80::'), 'fe80::');
  assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIp('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(canonicalIp('2001:db8:1:1:1:1:0:1'), '2001:db8:1:1:1:1:0:1');
  assert.equal(canonicalIp('::ffff:192.168.1.1'), '::ffff:c0a8:101');
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', ':1', 'fe80::1%eth0', '1:2:3:4:5:6:7::8']) {
    assert.equal(parseIp(bad), null, bad);
  }
});

test('CIDRs parse, mask host bits unless strict, and ranges split into minimal CIDRs', () => {
  const c = parseCidr('10.0.0.7/24');
  assert.ok(c);
  assert.equal(formatCidr(c), '10.0.0.0/24');
  assert.equal(parseCidr('10.0.0.7/24', true), null);
  assert.equal(parseCidr('10.0.0.0/33'), null);
  assert.equal(parseCidr('10.0.0.0'), null);
  const r = { family: 4 as const, first: parseIp('192.168.1.200')!.value, last: parseIp('192.168.1.210')!.value };
  assert.deepEqual(rangeToCidrs(r).map(formatCidr), ['192.168.1.200/29', '192.168.1.208/31', '192.168.1.210/32']);
  const v6 = parseCidr('2001:db8::/126')!;
  assert.deepEqual(cidrToRange(v6).last - cidrToRange(v6).first, 3n);
});
