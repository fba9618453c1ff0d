import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { pings, startLab } from './support.js';

// Random loss on a WiFi port, shown with ping: each frame crossing the air is dropped with
// probability p in each direction, so an echo round trip is lost with probability 1-(1-p)^2.
let lab: Lab;
let cleanup: () => Promise<void> = async () => undefined;
const percent = 20;

before(async () => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'ping']);
  ({ lab, cleanup } = await startLab());
  // Resolve the neighbours both ways before any loss, so ARP is not part of what is measured.
  assert.ok(await pings(lab, 'desktop', lab.node('pi2').ipv4));
  assert.ok(await pings(lab, 'desktop', lab.node('pi1').ipv4));
});
after(() => cleanup());

/** Percent of 200 echo requests (10 ms apart) that got no reply. */
async function lossTo(target: string): Promise<number> {
  const r = await lab.exec('desktop', ['ping', '-q', '-n', '-c', '200', '-i', '0.01', '-W', '1', lab.node(target).ipv4]);
  const match = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  assert.ok(match, `unexpected ping output: ${r.stdout}${r.stderr}`);
  return (100 * (Number(match[1]) - Number(match[2]))) / Number(match[1]);
}

test(`with ${percent}% loss on pi2's port, ping -c 200 loses about 1-(1-p)^2 of round trips`, async (t) => {
  await lab.setLoss('pi2', percent);
  try {
    const expected = 100 * (1 - (1 - percent / 100) ** 2);
    const measured = await lossTo('pi2');
    t.diagnostic(`loss ${percent}% per direction: measured ${measured.toFixed(1)}% of round trips, expected ${expected.toFixed(1)}%`);
    // 200 trials at p=0.36 have a standard deviation of 3.4 points; 13 points is almost 4 of them.
    assert.ok(Math.abs(measured - expected) <= 13, `measured ${measured}% vs expected ${expected}%`);
  } finally {
    await lab.setLoss('pi2', 0);
  }
});

test('the wired port loses nothing while pi2 has loss', async () => {
  await lab.setLoss('pi2', percent);
  try {
    assert.equal(await lossTo('pi1'), 0);
  } finally {
    await lab.setLoss('pi2', 0);
  }
});

test('with the loss set back to 0, pi2 loses nothing', async () => {
  assert.equal(await lossTo('pi2'), 0);
});
