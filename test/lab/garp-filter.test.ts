import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { addAddress, removeAddress, startLab } from './support.js';

// Gratuitous-ARP filtering, shown with `arping -U` and the client's neighbour table: the AP drops
// ARP from a station whose sender address is not the station's own, so a node cannot move an
// address (a VIP) to itself by announcing it over WiFi.
let lab: Lab;
let cleanup: () => Promise<void> = async () => undefined;
const vip = '192.168.1.200';
const staleMac = '02:00:00:00:00:99';

before(async () => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'arping']);
  ({ lab, cleanup } = await startLab());
});
after(() => cleanup());

// The client already knows the VIP at some old MAC: with arp_accept=0 (the default) a gratuitous
// ARP updates an existing entry but never creates one (ip-sysctl.rst), so a stale entry is the
// honest starting point.
beforeEach(async () => {
  const r = await lab.exec('desktop', ['ip', 'neigh', 'replace', vip, 'lladdr', staleMac, 'dev', 'eth0', 'nud', 'stale']);
  assert.equal(r.code, 0, r.stderr);
});

async function clientMacFor(ip: string): Promise<string> {
  const r = await lab.exec('desktop', ['ip', '-j', 'neigh', 'show', ip, 'dev', 'eth0']);
  const entries = JSON.parse(r.stdout) as { lladdr?: string }[];
  return entries[0]?.lladdr ?? 'none';
}

async function announce(node: string): Promise<void> {
  await addAddress(lab, node, `${vip}/32`);
  try {
    await lab.exec(node, ['arping', '-U', '-c', '1', '-w', '1', '-I', lab.node(node).iface, '-s', vip, vip]);
  } finally {
    await removeAddress(lab, node, `${vip}/32`);
  }
}

test('a gratuitous ARP from pi2 (WiFi) for an address not its own does not update the client', async () => {
  await announce('pi2');
  assert.equal(await clientMacFor(vip), staleMac);
});

test('a gratuitous ARP from pi1 (wired) for the same address updates the client', async () => {
  await announce('pi1');
  assert.equal(await clientMacFor(vip), lab.node('pi1').mac);
});

test('with the GARP filter turned off at run time, the gratuitous ARP from pi2 updates the client', async () => {
  await lab.setBehaviour('pi2', { garpFilter: false });
  try {
    await announce('pi2');
    assert.equal(await clientMacFor(vip), lab.node('pi2').mac);
  } finally {
    await lab.setBehaviour('pi2', { garpFilter: true });
  }
});
