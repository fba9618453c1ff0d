import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsPromiscuous } from '../../src/domain/l2/promiscuous.js';

const on = { wifiPromiscuous: true };
const off = { wifiPromiscuous: false };

test('a wireless interface announcing VIPs goes promiscuous to lift the firmware ARP filter', () => {
  assert.deepEqual(needsPromiscuous({ ifname: 'wlan0', kind: 'wireless', announcedVips: 2 }, on), {
    promiscuous: true,
    reason: 'wireless-firmware-filter',
  });
});

test('promiscuous mode is not taken when disabled in config, on wired or virtual links, or with nothing to announce', () => {
  const rows: Array<[Parameters<typeof needsPromiscuous>[0], typeof on, string]> = [
    [{ ifname: 'wlan0', kind: 'wireless', announcedVips: 1 }, off, 'disabled-by-config'],
    [{ ifname: 'eth0', kind: 'wired', announcedVips: 1 }, on, 'not-wireless'],
    [{ ifname: 'cni0', kind: 'virtual', announcedVips: 1 }, on, 'not-wireless'],
    [{ ifname: 'wlan0', kind: 'wireless', announcedVips: 0 }, on, 'not-announcing'],
  ];
  for (const [iface, config, reason] of rows) {
    assert.deepEqual(needsPromiscuous(iface, config), { promiscuous: false, reason }, iface.ifname);
  }
});
