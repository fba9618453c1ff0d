import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { pings, startLab } from './support.js';

// Client isolation, shown with plain ping: WiFi stations cannot reach each other, only wired hosts.
let lab: Lab;
let cleanup: () => Promise<void> = async () => undefined;
const wifi = ['pi2', 'pi3', 'laptop'];

before(async () => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'ping']);
  ({ lab, cleanup } = await startLab());
});
after(() => cleanup());

test('with isolation off (the default), pi2 can ping pi3', async () => {
  assert.equal(await pings(lab, 'pi2', lab.node('pi3').ipv4), true);
});

test('with isolation on, pi2 cannot ping pi3 or the WiFi laptop but can ping the router and wired hosts', async () => {
  for (const node of wifi) await lab.setBehaviour(node, { isolation: true });
  try {
    assert.equal(await pings(lab, 'pi2', lab.node('pi3').ipv4), false, 'pi2 -> pi3 blocked');
    assert.equal(await pings(lab, 'pi2', lab.node('laptop').ipv4), false, 'pi2 -> laptop blocked');
    assert.equal(await pings(lab, 'pi2', lab.node('router').ipv4), true, 'pi2 -> router');
    assert.equal(await pings(lab, 'pi2', lab.node('pi1').ipv4), true, 'pi2 -> pi1 (wired)');
    assert.equal(await pings(lab, 'desktop', lab.node('pi3').ipv4), true, 'desktop (wired) -> pi3');
  } finally {
    for (const node of wifi) await lab.setBehaviour(node, { isolation: false });
  }
});

test('the wired port is unaffected: pi1 reaches every WiFi station while they are isolated', async () => {
  for (const node of wifi) await lab.setBehaviour(node, { isolation: true });
  try {
    for (const node of wifi) assert.equal(await pings(lab, 'pi1', lab.node(node).ipv4), true, `pi1 -> ${node}`);
  } finally {
    for (const node of wifi) await lab.setBehaviour(node, { isolation: false });
  }
});
