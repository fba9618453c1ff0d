import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { addAddress, arpReplies, removeAddress, startLab } from './support.js';

// Proxy ARP with suppression, shown with plain arping/ndisc6 before airlb is involved: the AP
// answers for pi2's own address, and a VIP-like extra address on pi2 gets no answer because the
// request never reaches pi2. The other behaviours are off on pi2 so only this one is at work.
let lab: Lab;
let cleanup: () => Promise<void> = async () => undefined;
const vip = '192.168.1.200';
const vip6 = 'fd00:a1b::200';

before(async () => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'arping', 'ndisc6']);
  ({ lab, cleanup } = await startLab());
  await lab.setBehaviour('pi2', { garpFilter: false, firmwareFilter: false });
});
after(() => cleanup());

async function ndiscAnswers(from: string, target: string): Promise<boolean> {
  const r = await lab.exec(from, ['ndisc6', '-q', '-r', '2', '-w', '300', target, lab.node(from).iface]);
  return r.code === 0;
}

test('with proxy ARP on, a WiFi node\'s own IP answers but an extra IP on it does not', async () => {
  await addAddress(lab, 'pi2', `${vip}/32`);
  try {
    assert.ok((await arpReplies(lab, 'desktop', lab.node('pi2').ipv4)) > 0, 'pi2 own address answers (the AP replies for its station)');
    assert.equal(await arpReplies(lab, 'desktop', vip), 0, 'the extra address on pi2 gets no ARP reply');
  } finally {
    await removeAddress(lab, 'pi2', `${vip}/32`);
  }
});

test('with proxy ARP on, an extra IPv6 address on a WiFi node gets no Neighbor Advertisement while its own does', async () => {
  await addAddress(lab, 'pi2', `${vip6}/128`);
  try {
    assert.equal(await ndiscAnswers('desktop', lab.node('pi2').ipv6!), true, 'pi2 own IPv6 address is resolved');
    assert.equal(await ndiscAnswers('desktop', vip6), false, 'the extra IPv6 address on pi2 is not');
  } finally {
    await removeAddress(lab, 'pi2', `${vip6}/128`);
  }
});

test('the same extra IP on the wired node answers', async () => {
  await addAddress(lab, 'pi1', `${vip}/32`);
  try {
    assert.ok((await arpReplies(lab, 'desktop', vip)) > 0);
  } finally {
    await removeAddress(lab, 'pi1', `${vip}/32`);
  }
});

test('with proxy ARP turned off at run time, the extra IP on the WiFi node answers', async () => {
  await lab.setBehaviour('pi2', { proxyArp: false });
  await addAddress(lab, 'pi2', `${vip}/32`);
  try {
    assert.ok((await arpReplies(lab, 'desktop', vip)) > 0);
    assert.ok((await arpReplies(lab, 'desktop', lab.node('pi2').ipv4)) > 0);
  } finally {
    await removeAddress(lab, 'pi2', `${vip}/32`);
    await lab.setBehaviour('pi2', { proxyArp: true });
  }
});

test('WiFi stations still resolve and reach each other and the router through the proxy', async () => {
  for (const [from, to] of [['pi2', 'pi3'], ['pi3', 'pi2'], ['laptop', 'pi2'], ['pi2', 'router']] as const) {
    assert.ok((await arpReplies(lab, from, lab.node(to).ipv4)) > 0, `${from} resolves ${to}`);
  }
  const v6 = await lab.exec('laptop', ['ping', '-c', '1', '-W', '1', lab.node('pi3').ipv6!]);
  assert.equal(v6.code, 0, 'IPv6 between stations works');
});
