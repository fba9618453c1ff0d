import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { InterfaceFacts } from '../../src/domain/l2/interfaces.js';
import { createLogger } from '../../src/io/logger.js';
import { ArpOp, type ArpPacket } from '../../src/proto/arp/packet.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/proto/arp/frame.js';
import { decodeNeighborFrame, encodeNeighborFrame } from '../../src/proto/ndp/frame.js';
import type { DesiredVip } from '../../src/standalone/desired.js';
import { StandaloneEngine, type LinkLayer, type LinkPort } from '../../src/standalone/engine.js';
import { ManualClock } from '../support/manual-clock.js';

// The engine with a fake link layer and a manual clock: which frames go out when, what is
// answered, and which sockets and memberships exist, without a network.

const ETH0_MAC = '02:00:00:00:00:01';
const WLAN0_MAC = '02:00:00:00:00:02';
const CLIENT_MAC = '02:00:00:00:00:99';
const OTHER_MAC = '02:00:00:00:00:66';
const CLIENT_IP = '192.168.1.50';
const VIP = '192.168.1.240';

function iface(name: string, mac: string, ipv4: string, wireless: boolean, ifindex: number): InterfaceFacts {
  return {
    name,
    ifindex,
    type: 1,
    mac,
    operstate: 'up',
    flags: 0x1003, // IFF_UP | IFF_BROADCAST | IFF_MULTICAST
    devtype: wireless ? 'wlan' : null,
    hasWirelessDir: wireless,
    hasPhy80211: wireless,
    master: null,
    softwareDevice: false,
    addresses: [
      { address: ipv4, prefixLength: 24 },
      { address: `fe80::${ifindex}`, prefixLength: 64 },
    ],
  };
}

const eth0 = iface('eth0', ETH0_MAC, '192.168.1.10', false, 2);
const wlan0 = iface('wlan0', WLAN0_MAC, '192.168.1.11', true, 3);

class FakePort implements LinkPort {
  readonly sent: Buffer[] = [];
  promiscuous = false;
  multicast: readonly string[] = [];
  closed = false;
  constructor(readonly deliver: (frame: Buffer) => void) {}
  send(frame: Buffer): void {
    assert.equal(this.closed, false, 'no frame is sent on a closed socket');
    this.sent.push(frame);
  }
  setPromiscuous(on: boolean): void {
    this.promiscuous = on;
  }
  setMulticast(macs: readonly string[]): void {
    this.multicast = macs;
  }
  close(): void {
    this.closed = true;
  }
}

class FakeLink implements LinkLayer {
  readonly ports = new Map<string, FakePort>();
  open(ifname: string, onFrame: (frame: Buffer) => void): LinkPort {
    const port = new FakePort(onFrame);
    this.ports.set(ifname, port);
    return port;
  }
  port(name: string): FakePort {
    const p = this.ports.get(name);
    assert.ok(p !== undefined, `a socket is open on ${name}`);
    return p;
  }
  arpSent(name: string): ArpPacket[] {
    return this.port(name).sent.map((f) => decodeArpFrame(f).arp);
  }
}

let clock: ManualClock;
let link: FakeLink;
let engine: StandaloneEngine;

function vip(ip: string, interfaces: string[] = []): DesiredVip {
  return { ip, services: ['default/web'], pool: 'lan', allInterfaces: interfaces.length === 0, interfaces };
}

function request(targetIp: string, senderMac = CLIENT_MAC, senderIp = CLIENT_IP): Buffer {
  return encodeArpFrame({ op: ArpOp.request, senderMac, senderIp, targetMac: '00:00:00:00:00:00', targetIp });
}

beforeEach(() => {
  clock = new ManualClock();
  link = new FakeLink();
  engine = new StandaloneEngine({
    clock,
    random: () => 0,
    logger: createLogger({ format: 'text', level: 'error', write: () => undefined }),
    link,
  });
  engine.setInterfaces([eth0, wlan0]);
});

test('a VIP is probed three times, then claimed with a gratuitous ARP in both forms', () => {
  engine.setDesired([vip(VIP, ['eth0'])]);
  clock.advance(1000);
  const sent = link.arpSent('eth0');
  const probes = sent.filter((p) => p.senderIp === '0.0.0.0');
  assert.equal(probes.length, 3);
  assert.ok(probes.every((p) => p.op === ArpOp.request && p.targetIp === VIP && p.senderMac === ETH0_MAC));
  const announcements = sent.filter((p) => p.senderIp === VIP && p.targetIp === VIP);
  assert.deepEqual(announcements.map((p) => p.op), [ArpOp.request, ArpOp.reply], 'RFC 5227 announcement, then a gratuitous reply');
  assert.equal(engine.status().vips[0]!.state, 'claimed');
});

test('a request for the VIP is ignored while probing and answered from the interface MAC once claimed', () => {
  engine.setDesired([vip(VIP, ['eth0'])]);
  clock.advance(10);
  const port = link.port('eth0');
  const before = port.sent.length;
  port.deliver(request(VIP));
  assert.equal(port.sent.length, before, 'no reply while probing');
  assert.equal(engine.status().counters.arp['not-owner'], 1);
  clock.advance(1000);
  const sentBefore = port.sent.length;
  port.deliver(request(VIP));
  const reply = decodeArpFrame(port.sent[sentBefore]!);
  assert.equal(reply.ethernet.destination, CLIENT_MAC);
  assert.deepEqual(reply.arp, { op: ArpOp.reply, senderMac: ETH0_MAC, senderIp: VIP, targetMac: CLIENT_MAC, targetIp: CLIENT_IP });
  assert.equal(engine.status().counters.arp.owner, 1);
  assert.equal(engine.status().counters.sent.reply, 1);
});

test('requests for other addresses and on interfaces the VIP is not announced on get no reply', () => {
  engine.setDesired([vip(VIP, ['eth0'])]);
  clock.advance(1000);
  link.port('eth0').deliver(request('192.168.1.241'));
  assert.equal(link.ports.has('wlan0'), false, 'no socket where nothing is announced');
  const c = engine.status().counters.arp;
  assert.equal(c['not-owner'], 1);
  assert.equal(c.owner, 0);
});

test('another host answering a probe makes the VIP back off without claiming it', () => {
  engine.setDesired([vip(VIP, ['eth0'])]);
  clock.advance(1); // first probe at 0 ms with random() = 0
  const port = link.port('eth0');
  port.deliver(encodeArpFrame({ op: ArpOp.reply, senderMac: OTHER_MAC, senderIp: VIP, targetMac: ETH0_MAC, targetIp: '0.0.0.0' }));
  const status = engine.status();
  assert.equal(status.vips[0]!.state, 'backoff');
  assert.equal(status.counters.conflicts, 1);
  assert.deepEqual(
    { vip: status.conflicts[0]!.vip, mac: status.conflicts[0]!.mac, evidence: status.conflicts[0]!.evidence, action: status.conflicts[0]!.action },
    { vip: VIP, mac: OTHER_MAC, evidence: 'arp-sender-is-vip', action: 'backoff' },
  );
  clock.advance(400);
  assert.equal(link.arpSent('eth0').filter((p) => p.senderIp === VIP).length, 0, 'nothing was announced');
});

test('setting the same desired VIPs again sends no new probe and keeps the VIP claimed', () => {
  engine.setDesired([vip(VIP, ['eth0'])]);
  clock.advance(1000);
  const sent = link.port('eth0').sent.length;
  engine.setDesired([vip(VIP, ['eth0'])]);
  engine.setInterfaces([eth0, wlan0]);
  clock.advance(500);
  assert.equal(engine.status().vips[0]!.state, 'claimed');
  assert.equal(link.arpSent('eth0').slice(sent).filter((p) => p.senderIp === '0.0.0.0').length, 0);
});

test('a removed VIP is no longer answered and its socket closes when nothing else uses it', () => {
  engine.setDesired([vip(VIP, ['eth0'])]);
  clock.advance(1000);
  const port = link.port('eth0');
  engine.setDesired([]);
  assert.equal(port.closed, true);
  port.deliver(request(VIP));
  assert.equal(engine.status().counters.arp.owner, 0);
  assert.deepEqual(engine.status().vips, []);
});

test('a wireless interface that announces a VIP is promiscuous, and stops being so when the VIP goes', () => {
  engine.setDesired([vip(VIP, ['eth0', 'wlan0'])]);
  assert.equal(link.port('wlan0').promiscuous, true);
  assert.equal(link.port('eth0').promiscuous, false, 'wired interfaces have no firmware filter');
  const wlan = engine.status().interfaces.find((i) => i.name === 'wlan0')!;
  assert.deepEqual([wlan.kind, wlan.promiscuous, wlan.promiscuousReason], ['wireless', true, 'wireless-firmware-filter']);
  engine.setDesired([vip(VIP, ['eth0'])]);
  assert.equal(link.ports.get('wlan0')?.closed, true, 'the socket holding the membership is closed');
});

test('with promiscuous mode disabled a wireless interface is left alone', () => {
  engine.close();
  engine = new StandaloneEngine({ clock, random: () => 0, logger: createLogger({ format: 'text', level: 'error', write: () => undefined }), link, wifiPromiscuous: false });
  engine.setInterfaces([eth0, wlan0]);
  engine.setDesired([vip(VIP, ['wlan0'])]);
  assert.equal(link.port('wlan0').promiscuous, false);
  assert.equal(engine.status().interfaces.find((i) => i.name === 'wlan0')!.promiscuousReason, 'disabled-by-config');
});

test('without a listed interface the VIP goes on the interfaces of its subnet', () => {
  engine.setDesired([vip(VIP), vip('10.9.9.9')]);
  const byIp = new Map(engine.status().vips.map((v) => [v.ip, v.interfaces]));
  assert.deepEqual(byIp.get(VIP), ['eth0', 'wlan0']);
  assert.deepEqual(byIp.get('10.9.9.9'), ['eth0', 'wlan0'], 'a VIP on no interface subnet goes on every eligible one (MetalLB)');
});

test('a VIP whose listed interface does not exist waits with state no-interface, and starts when it appears', () => {
  engine.setDesired([vip(VIP, ['eth1'])]);
  assert.equal(engine.status().vips[0]!.state, 'no-interface');
  assert.deepEqual(engine.status().vips[0]!.skipped, [
    { ifname: 'eth0', reason: 'not-listed' },
    { ifname: 'wlan0', reason: 'not-listed' },
  ]);
  engine.setInterfaces([eth0, wlan0, { ...eth0, name: 'eth1', ifindex: 9, mac: '02:00:00:00:00:09' }]);
  clock.advance(1000);
  assert.equal(engine.status().vips[0]!.state, 'claimed');
  assert.deepEqual(engine.status().vips[0]!.answeringOn, ['eth1']);
});

test('malformed frames are counted and do not stop the responder', () => {
  engine.setDesired([vip(VIP, ['eth0'])]);
  clock.advance(1000);
  const port = link.port('eth0');
  const good = request(VIP);
  for (let cut = 0; cut < good.length; cut++) port.deliver(good.subarray(0, cut));
  const badLengths = Buffer.from(good);
  badLengths[14 + 4] = 9;
  port.deliver(badLengths);
  assert.equal(engine.status().counters.malformed, good.length + 1);
  port.deliver(good);
  assert.equal(engine.status().counters.arp.owner, 1);
});

test('close releases every VIP, closes every socket and ignores later frames', () => {
  engine.setDesired([vip(VIP, ['eth0', 'wlan0'])]);
  clock.advance(1000);
  const ports = [...link.ports.values()];
  engine.close();
  assert.ok(ports.every((p) => p.closed));
  ports[0]!.deliver(request(VIP));
  clock.advance(60_000);
  assert.equal(engine.status().counters.arp.owner, 0);
});

const VIP6 = 'fd00::240';
const CLIENT6 = 'fd00::50';

function solicitation(target: string, source = CLIENT6, sourceLinkAddr: string | null = CLIENT_MAC): Buffer {
  return encodeNeighborFrame({ kind: 'ns', source, destination: 'ff02::1:ff00:240', target, sourceLinkAddr }, CLIENT_MAC);
}

test('an IPv6 VIP runs DAD, joins its solicited-node group and is announced with an unsolicited NA', () => {
  engine.setDesired([vip(VIP6, ['eth0'])]);
  const port = link.port('eth0');
  assert.deepEqual(port.multicast, ['33:33:ff:00:02:40'], 'RFC 4861 §7.2.1: the solicited-node group of the VIP');
  clock.advance(1000);
  const messages = port.sent.map((f) => decodeNeighborFrame(f));
  const dad = messages.filter((m) => m.message.kind === 'ns');
  assert.equal(dad.length, 3);
  assert.ok(dad.every((m) => m.message.source === '::' && m.message.destination === 'ff02::1:ff00:240' && m.ethernet.destination === '33:33:ff:00:02:40'));
  const na = messages.find((m) => m.message.kind === 'na')!;
  assert.equal(na.ethernet.destination, '33:33:00:00:00:01');
  assert.deepEqual(na.message, { kind: 'na', source: VIP6, destination: 'ff02::1', target: VIP6, router: false, solicited: false, override: true, targetLinkAddr: ETH0_MAC });
});

test('a Neighbor Solicitation for a claimed IPv6 VIP gets a solicited NA unicast to the asker', () => {
  engine.setDesired([vip(VIP6, ['eth0'])]);
  clock.advance(1000);
  const port = link.port('eth0');
  const before = port.sent.length;
  port.deliver(solicitation(VIP6));
  const reply = decodeNeighborFrame(port.sent[before]!);
  assert.equal(reply.ethernet.destination, CLIENT_MAC);
  assert.deepEqual(reply.message, { kind: 'na', source: VIP6, destination: CLIENT6, target: VIP6, router: false, solicited: true, override: true, targetLinkAddr: ETH0_MAC });
  port.deliver(solicitation('fd00::241'));
  assert.equal(port.sent.length, before + 1, 'no answer for an address nobody claimed');
  assert.deepEqual([engine.status().counters.ns.owner, engine.status().counters.ns['not-owner']], [1, 1]);
});

test('a Neighbor Advertisement for the VIP from another host during DAD backs the VIP off', () => {
  engine.setDesired([vip(VIP6, ['eth0'])]);
  clock.advance(1);
  link.port('eth0').deliver(
    encodeNeighborFrame({ kind: 'na', source: VIP6, destination: 'ff02::1', target: VIP6, router: false, solicited: false, override: true, targetLinkAddr: OTHER_MAC }, OTHER_MAC),
  );
  const status = engine.status();
  assert.equal(status.vips[0]!.state, 'backoff');
  assert.equal(status.conflicts[0]!.evidence, 'na-for-vip');
  assert.equal(status.conflicts[0]!.mac, OTHER_MAC);
});

test('IPv6 traffic that is not Neighbor Discovery is ignored, not counted as malformed', () => {
  engine.setDesired([vip(VIP6, ['eth0'])]);
  const port = link.port('eth0');
  const ns = solicitation(VIP6);
  const udp = Buffer.from(ns);
  udp[14 + 6] = 17; // Next Header: UDP
  port.deliver(udp);
  assert.equal(engine.status().counters.malformed, 0);
  const badChecksum = Buffer.from(ns);
  badChecksum[14 + 40 + 2] ^= 0xff;
  port.deliver(badChecksum);
  assert.equal(engine.status().counters.malformed, 1);
});
