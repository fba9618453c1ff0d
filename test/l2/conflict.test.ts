import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arpConflict, naConflict, nsConflict, type ClaimPhase } from '../../src/domain/l2/conflict.js';
import type { ArpFacts, NsFacts } from '../../src/domain/l2/responder-policy.js';

const OURS = '02:a1:00:00:00:01';
const OTHER = 'aa:bb:cc:00:00:66';
const ownMacs = new Set([OURS]);
const watched = new Map<string, ClaimPhase>([
  ['192.168.1.240', 'probing'],
  ['192.168.1.241', 'claimed'],
  ['2001:db8::240', 'probing'],
  ['2001:db8::241', 'claimed'],
]);
const arp = (over: Partial<ArpFacts>): ArpFacts => ({
  op: 2,
  senderIp: '192.168.1.240',
  senderMac: OTHER,
  targetIp: '192.168.1.11',
  ifname: 'eth0',
  ...over,
});

test('an ARP reply from another MAC whose sender IP is the VIP being probed is a conflict (RFC 5227 §2.1.1)', () => {
  assert.deepEqual(arpConflict(arp({}), watched, ownMacs), {
    vip: '192.168.1.240',
    ifname: 'eth0',
    mac: OTHER,
    evidence: 'arp-sender-is-vip',
  });
});

test('an ARP request or gratuitous ARP from another MAC using a claimed VIP is a conflict (RFC 5227 §2.4)', () => {
  assert.equal(arpConflict(arp({ op: 1, senderIp: '192.168.1.241' }), watched, ownMacs)?.evidence, 'arp-sender-is-vip');
  assert.equal(arpConflict(arp({ op: 1, senderIp: '192.168.1.241', targetIp: '192.168.1.241' }), watched, ownMacs)?.vip, '192.168.1.241');
});

test('another host probing the VIP we probe is a conflict, but its probe of a claimed VIP is not (we answer it)', () => {
  const probe = (target: string): ArpFacts => arp({ op: 1, senderIp: '0.0.0.0', targetIp: target });
  assert.equal(arpConflict(probe('192.168.1.240'), watched, ownMacs)?.evidence, 'arp-simultaneous-probe');
  assert.equal(arpConflict(probe('192.168.1.241'), watched, ownMacs), null);
});

test('our own ARP, and ARP about addresses we do not watch, are not conflicts', () => {
  assert.equal(arpConflict(arp({ senderMac: OURS }), watched, ownMacs), null);
  assert.equal(arpConflict(arp({ senderIp: '192.168.1.50' }), watched, ownMacs), null);
});

test('a Neighbor Advertisement for a watched VIP from another node is a conflict, naming its target link address', () => {
  const na = { targetIp: '2001:db8::241', targetLinkAddr: OTHER, frameSource: 'aa:bb:cc:00:00:01', ifname: 'eth0' };
  assert.deepEqual(naConflict(na, watched, ownMacs), { vip: '2001:db8::241', ifname: 'eth0', mac: OTHER, evidence: 'na-for-vip' });
  assert.equal(naConflict({ ...na, targetLinkAddr: null }, watched, ownMacs)?.mac, 'aa:bb:cc:00:00:01');
  assert.equal(naConflict({ ...na, frameSource: OURS }, watched, ownMacs), null);
  assert.equal(naConflict({ ...na, targetLinkAddr: OURS }, watched, ownMacs), null);
  assert.equal(naConflict({ ...na, targetIp: '2001:db8::99' }, watched, ownMacs), null);
});

test('another node\'s DAD NS for the VIP we probe is a conflict; an ordinary NS or one for a claimed VIP is not', () => {
  const ns: NsFacts = { targetIp: '2001:db8::240', sourceIp: '::', sourceLinkAddr: null, frameSource: OTHER, hopLimit: 255, ifname: 'eth0' };
  assert.equal(nsConflict(ns, watched, ownMacs)?.evidence, 'ns-simultaneous-dad');
  assert.equal(nsConflict({ ...ns, sourceIp: '2001:db8::10' }, watched, ownMacs), null);
  assert.equal(nsConflict({ ...ns, targetIp: '2001:db8::241' }, watched, ownMacs), null);
  assert.equal(nsConflict({ ...ns, frameSource: OURS }, watched, ownMacs), null);
});
