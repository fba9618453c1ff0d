import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyInterface } from '../../src/domain/l2/interfaces.js';
import { classifierOverridesFromEnv, readInterfaceFacts } from '../../src/io/interfaces.js';
import { AirlbError } from '../../src/errors.js';

// A hand-built copy of the sysfs layout of a Raspberry Pi 4 (brcmfmac wlan0, wired eth0 enslaved
// to br0): the paths a real /sys/class/net has, for the markers no machine running the tests has.
const root = mkdtempSync(join(tmpdir(), 'airlb-sysfs-'));
after(() => rmSync(root, { recursive: true, force: true }));

function device(name: string, files: Record<string, string>, links: Record<string, string> = {}, dirs: string[] = []): void {
  const dir = join(root, 'devices', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), `${text}\n`);
  for (const [link, target] of Object.entries(links)) symlinkSync(target, join(dir, link));
  for (const sub of dirs) mkdirSync(join(dir, sub));
  // /sys/class/net/NAME is a symlink into /sys/devices, as on a real system.
  mkdirSync(join(root, 'class-net'), { recursive: true });
  symlinkSync(dir, join(root, 'class-net', name));
}

const base = { ifindex: '3', type: '1', operstate: 'up', flags: '0x1003' };
device(
  'wlan0',
  { ...base, address: 'DC:A6:32:12:34:56', uevent: 'DEVTYPE=wlan\nINTERFACE=wlan0\nIFINDEX=3' },
  { phy80211: '../../ieee80211/phy0', device: '../../mmc1:0001:1' },
  ['wireless'],
);
device('eth0', { ...base, ifindex: '2', address: 'dc:a6:32:00:00:01', uevent: 'INTERFACE=eth0\nIFINDEX=2' }, { master: '../br0', device: '../../fd580000.ethernet' });
device('br0', { ...base, ifindex: '4', address: 'dc:a6:32:00:00:01', uevent: 'DEVTYPE=bridge\nINTERFACE=br0\nIFINDEX=4' }, {}, ['bridge']);
// An interface deleted between listing the directory and reading it: a dangling link.
symlinkSync(join(root, 'devices', 'gone0'), join(root, 'class-net', 'gone0'));

test('sysfs markers are read: DEVTYPE, wireless/, phy80211, master, device, flags and a lowercased MAC', async () => {
  const facts = await readInterfaceFacts({
    sysfsRoot: join(root, 'class-net'),
    addresses: () => ({
      wlan0: [{ address: '192.168.1.50', netmask: '255.255.255.0', family: 'IPv4', mac: 'dc:a6:32:12:34:56', internal: false, cidr: '192.168.1.50/24' }],
    }),
  });
  assert.deepEqual(facts.map((f) => f.name), ['br0', 'eth0', 'wlan0'], 'the vanished interface is left out');
  const [br0, eth0, wlan0] = facts;
  assert.deepEqual(wlan0, {
    name: 'wlan0',
    ifindex: 3,
    type: 1,
    mac: 'dc:a6:32:12:34:56',
    operstate: 'up',
    flags: 0x1003,
    devtype: 'wlan',
    hasWirelessDir: true,
    hasPhy80211: true,
    master: null,
    softwareDevice: false,
    addresses: [{ address: '192.168.1.50', prefixLength: 24 }],
  });
  assert.deepEqual(classifyInterface(wlan0!), { kind: 'wireless', reason: 'wireless-sysfs' });
  assert.equal(eth0!.master, 'br0');
  assert.deepEqual(classifyInterface(eth0!), { kind: 'virtual', reason: 'enslaved' });
  assert.equal(br0!.devtype, 'bridge');
  assert.equal(br0!.softwareDevice, true);
});

test('a missing sysfs is a typed error that says what airlb needs', async () => {
  await assert.rejects(readInterfaceFacts({ sysfsRoot: join(root, 'nothing-here') }), (err: unknown) => {
    return err instanceof AirlbError && err.code === 'interfaces-unreadable' && err.message.includes('hostNetwork');
  });
});

test('override lists from the environment accept commas and spaces and ignore empty entries', () => {
  assert.deepEqual(classifierOverridesFromEnv({ AIRLB_WIRELESS_INTERFACES: 'wlan0, wlan1 ,,', AIRLB_WIRED_INTERFACES: ' veth-up ' }), {
    wireless: ['wlan0', 'wlan1'],
    wired: ['veth-up'],
  });
  assert.deepEqual(classifierOverridesFromEnv({}), { wireless: [], wired: [] });
});
