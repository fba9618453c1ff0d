import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  classifyAll,
  classifyInterface,
  selectInterfaces,
  selectedInterfaces,
  withOverrides,
  IFF_UP,
  type ClassifiedInterface,
  type InterfaceFacts,
} from '../../src/domain/l2/interfaces.js';
import { AirlbError } from '../../src/errors.js';

const recorded = JSON.parse(readFileSync(new URL('./fixtures/recorded-interfaces.json', import.meta.url), 'utf8')) as {
  namespace: InterfaceFacts[];
  hostNic: InterfaceFacts;
  piWlan0: InterfaceFacts;
};
const byName = (name: string): InterfaceFacts => {
  const found = recorded.namespace.find((f) => f.name === name);
  assert.ok(found, `fixture has ${name}`);
  return found;
};

test('recorded interfaces classify as MetalLB would exclude them, with a veth uplink counted as wired', () => {
  const got = Object.fromEntries(recorded.namespace.map((f) => [f.name, classifyInterface(f)]));
  assert.deepEqual(got, {
    br0: { kind: 'wired', reason: 'software-uplink' },
    cni0: { kind: 'virtual', reason: 'excluded-name' },
    eth0: { kind: 'wired', reason: 'software-uplink' },
    lo: { kind: 'virtual', reason: 'loopback' },
    spare0: { kind: 'virtual', reason: 'software-without-address' },
    spare0p: { kind: 'virtual', reason: 'software-without-address' },
    vethpod1: { kind: 'virtual', reason: 'excluded-name' },
    vport0: { kind: 'virtual', reason: 'enslaved' },
    vport0p: { kind: 'virtual', reason: 'software-without-address' },
    wlan0: { kind: 'wired', reason: 'software-uplink' },
    wlan0p: { kind: 'virtual', reason: 'software-without-address' },
  });
});

test('a hardware NIC is wired and a Pi\'s brcmfmac wlan0 is wireless', () => {
  assert.deepEqual(classifyInterface(recorded.hostNic), { kind: 'wired', reason: 'hardware-ethernet' });
  assert.deepEqual(classifyInterface(recorded.piWlan0), { kind: 'wireless', reason: 'wireless-sysfs' });
});

test('any one wireless marker is enough: wireless/, phy80211 or DEVTYPE=wlan', () => {
  const plain = { ...recorded.piWlan0, devtype: null, hasWirelessDir: false, hasPhy80211: false };
  assert.equal(classifyInterface(plain).kind, 'wired');
  assert.equal(classifyInterface({ ...plain, devtype: 'wlan' }).kind, 'wireless');
  assert.equal(classifyInterface({ ...plain, hasWirelessDir: true }).kind, 'wireless');
  assert.equal(classifyInterface({ ...plain, hasPhy80211: true }).kind, 'wireless');
});

test('non-Ethernet devices are virtual, and the exclusion list can be replaced', () => {
  const tun = { ...recorded.hostNic, name: 'wg0', type: 65534, mac: '' };
  assert.deepEqual(classifyInterface(tun), { kind: 'virtual', reason: 'not-ethernet' });
  assert.equal(classifyInterface(byName('cni0'), []).reason, 'software-uplink');
  assert.equal(classifyInterface(recorded.hostNic, [/^eth/]).reason, 'excluded-name');
});

test('the injected override presents a veth as wireless (the lab\'s WiFi nodes) or rescues an excluded uplink as wired', () => {
  const classify = withOverrides((f) => classifyInterface(f), { wireless: ['wlan0'], wired: ['vethpod1'] });
  assert.deepEqual(classify(byName('wlan0')), { kind: 'wireless', reason: 'override' });
  assert.deepEqual(classify(byName('vethpod1')), { kind: 'wired', reason: 'override' });
  assert.deepEqual(classify(byName('eth0')), { kind: 'wired', reason: 'software-uplink' });
});

const nodeInterfaces = (): ClassifiedInterface[] =>
  classifyAll(recorded.namespace, withOverrides((f) => classifyInterface(f), { wireless: ['wlan0'] }));
const table = (verdicts: ReturnType<typeof selectInterfaces>): string[] =>
  verdicts.map((v) => `${v.ifname} ${v.selected ? '+' : '-'} ${v.reason}`);

test('with every interface allowed, an IPv4 VIP goes to the up, non-virtual interfaces on its subnet', () => {
  const verdicts = selectInterfaces('192.168.1.240', { allInterfaces: true, interfaces: [] }, nodeInterfaces());
  assert.deepEqual(table(verdicts), [
    'br0 - other-subnet',
    'cni0 - virtual',
    'eth0 + in-vip-subnet',
    'lo - virtual',
    'spare0 - down',
    'spare0p - down',
    'vethpod1 - virtual',
    'vport0 - virtual',
    'vport0p - virtual',
    'wlan0 + in-vip-subnet',
    'wlan0p - virtual',
  ]);
  const wlan = verdicts.find((v) => v.ifname === 'wlan0')!;
  assert.equal(wlan.kind, 'wireless');
  assert.equal(wlan.mac, byName('wlan0').mac);
});

test('a VIP on no node subnet is announced on every eligible interface, as MetalLB does', () => {
  const verdicts = selectInterfaces('10.99.0.1', { allInterfaces: true, interfaces: [] }, nodeInterfaces());
  assert.deepEqual(selectedInterfaces(verdicts), ['br0', 'eth0', 'wlan0']);
  assert.ok(verdicts.filter((v) => v.selected).every((v) => v.reason === 'no-interface-in-vip-subnet'));
});

test('an IPv6 VIP needs a link-local address to answer from, and picks the interface on its /64', () => {
  const verdicts = selectInterfaces('2001:db8:1::240', { allInterfaces: true, interfaces: [] }, nodeInterfaces());
  assert.deepEqual(selectedInterfaces(verdicts), ['eth0']);
  assert.equal(verdicts.find((v) => v.ifname === 'wlan0')!.reason, 'other-subnet');
  const noLinkLocal = recorded.namespace.map((f) =>
    f.name === 'eth0' ? { ...f, addresses: f.addresses.filter((a) => !a.address.startsWith('fe80')) } : f,
  );
  const without = selectInterfaces('2001:db8:1::240', { allInterfaces: true, interfaces: [] }, classifyAll(noLinkLocal));
  assert.equal(without.find((v) => v.ifname === 'eth0')!.reason, 'no-link-local');
});

test('an L2Advertisement interfaces list is honoured: only listed, eligible interfaces announce, whatever their subnet', () => {
  const verdicts = selectInterfaces('192.168.1.240', { allInterfaces: false, interfaces: ['br0', 'cni0', 'spare0'] }, nodeInterfaces());
  assert.deepEqual(table(verdicts).filter((row) => !row.includes('not-listed')), ['br0 + listed', 'cni0 - virtual', 'spare0 - down']);
  assert.equal(verdicts.find((v) => v.ifname === 'eth0')!.reason, 'not-listed');
});

test('an interface that is administratively up but has no carrier, or has NOARP, does not announce', () => {
  const eth0 = byName('eth0');
  const variants = [
    { ...eth0, operstate: 'lowerlayerdown' },
    { ...eth0, operstate: 'dormant' },
    { ...eth0, flags: eth0.flags & ~IFF_UP },
    { ...eth0, flags: eth0.flags | 0x80 },
  ];
  const reasons = variants.map((f) => selectInterfaces('192.168.1.240', { allInterfaces: true, interfaces: [] }, classifyAll([f]))[0]!.reason);
  assert.deepEqual(reasons, ['down', 'down', 'down', 'no-arp']);
});

test('a malformed VIP is refused with l2-bad-vip', () => {
  assert.throws(
    () => selectInterfaces('192.168.1', { allInterfaces: true, interfaces: [] }, []),
    (err: unknown) => err instanceof AirlbError && err.code === 'l2-bad-vip',
  );
});
