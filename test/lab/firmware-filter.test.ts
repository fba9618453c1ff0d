import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { arpReplies, startLab } from './support.js';

// The Pi firmware ARP filter, shown with arping and a non-promiscuous tcpdump inside the node's
// namespace: an ARP request for an address that is not on pi2's interface (what MetalLB answers
// from user space) never reaches pi2 — until the interface is promiscuous. Proxy ARP and the
// GARP filter are off on pi2 so the requests would otherwise be flooded to it.
let lab: Lab;
let cleanup: () => Promise<void> = async () => undefined;
const vip = '192.168.1.200';

before(async () => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'arping', 'tcpdump']);
  ({ lab, cleanup } = await startLab());
  await lab.setBehaviour('pi2', { proxyArp: false, garpFilter: false });
});
after(() => cleanup());

/** Whether an ARP request for `ip`, sent by the wired client, shows up on `node`'s interface. */
async function requestReaches(node: string, ip: string): Promise<boolean> {
  const capture = await lab.capture({ node }, `arp and arp[24:4] = 0x${ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join('')}`);
  try {
    await arpReplies(lab, 'desktop', ip);
    // The request is on the wire when arping returns; give tcpdump's pipe a moment to deliver.
    return await capture.waitFor((line) => line.includes(`who-has ${ip}`), 300).then(
      () => true,
      () => false,
    );
  } finally {
    await capture.stop();
  }
}

async function setPromisc(node: string, on: boolean): Promise<void> {
  const r = await lab.exec(node, ['ip', 'link', 'set', lab.node(node).iface, 'promisc', on ? 'on' : 'off']);
  assert.equal(r.code, 0, r.stderr);
}

test('with the firmware filter on, a request for an extra IP does not reach pi2 while one for its own IP does', async () => {
  assert.equal(lab.firmwareFilter('pi2'), 'filtering');
  assert.equal(await requestReaches('pi2', vip), false);
  assert.equal(await requestReaches('pi2', lab.node('pi2').ipv4), true);
});

test('when pi2\'s interface turns promiscuous the filter lifts and the request reaches pi2, and returns when it is not', async (t) => {
  const started = performance.now();
  await setPromisc('pi2', true);
  try {
    await lab.waitForFirmwareFilter('pi2', 'lifted (promiscuous)', 3000);
    t.diagnostic(`filter lifted ${Math.round(performance.now() - started)} ms after 'ip link set promisc on'`);
    assert.equal(await requestReaches('pi2', vip), true);
  } finally {
    await setPromisc('pi2', false);
  }
  await lab.waitForFirmwareFilter('pi2', 'filtering', 3000);
  assert.equal(await requestReaches('pi2', vip), false);
});

test('a packet socket in promiscuous mode (tcpdump without -p) lifts the filter too, as on a real Pi', async () => {
  const sniffer = await lab.capture({ node: 'pi2' }, 'arp', { promiscuous: true });
  try {
    await lab.waitForFirmwareFilter('pi2', 'lifted (promiscuous)', 3000);
  } finally {
    await sniffer.stop();
  }
  await lab.waitForFirmwareFilter('pi2', 'filtering', 3000);
});

test('with the firmware filter turned off at run time, the request reaches pi2 without promiscuous mode', async () => {
  await lab.setBehaviour('pi2', { firmwareFilter: false });
  try {
    assert.equal(lab.firmwareFilter('pi2'), 'off');
    assert.equal(await requestReaches('pi2', vip), true);
  } finally {
    await lab.setBehaviour('pi2', { firmwareFilter: true });
  }
});

test('on the wired node the request for an extra IP arrives', async () => {
  assert.equal(await requestReaches('pi1', vip), true);
});
