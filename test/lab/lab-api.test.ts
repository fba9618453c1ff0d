import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { pings, startLab } from './support.js';

// The TypeScript API other tests build on: status, exec in nodes and the AP, partition/heal,
// kill, spawn and captures on the AP's ports.
let lab: Lab;
let cleanup: () => Promise<void> = async () => undefined;

before(async () => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'ping', 'tcpdump']);
  ({ lab, cleanup } = await startLab());
});
after(() => cleanup());

test('status reports every node with its namespace, interface, MAC, addresses and behaviours', async () => {
  const status = await lab.status();
  assert.equal(status.prefix, lab.prefix);
  assert.equal(status.ownerAlive, true);
  assert.deepEqual(status.ap.addresses, ['192.168.1.2/24', 'fd00:a1b::2/64']);
  const pi2 = status.nodes.find((n) => n.name === 'pi2')!;
  assert.equal(pi2.netns, `${lab.prefix}-pi2`);
  assert.equal(pi2.iface, 'wlan0');
  assert.equal(pi2.mac, lab.node('pi2').mac);
  assert.deepEqual(pi2.addresses, ['192.168.1.12/24', 'fd00:a1b::12/64']);
  assert.equal(pi2.firmwareFilter, 'filtering');
  assert.deepEqual(pi2.labels, { 'kubernetes.io/hostname': 'pi2', 'airlb.io/link': 'wifi' });
  assert.ok(status.nodes.every((n) => n.present));
});

test('every node reaches the router over IPv4 and IPv6 and leaves the LAN through it', async () => {
  for (const node of lab.nodes().filter((n) => n.role !== 'router')) {
    assert.equal(await pings(lab, node.name, '192.168.1.1'), true, `${node.name} -> router`);
    assert.equal(await pings(lab, node.name, 'fd00:a1b::1'), true, `${node.name} -> router (IPv6)`);
    const route = await lab.exec(node.name, ['ip', 'route', 'show', 'default']);
    assert.match(route.stdout, /default via 192\.168\.1\.1 dev/);
  }
});

test('exec runs in the AP namespace too, where the bridge and the filter table live', async () => {
  const r = await lab.exec('ap', ['nft', 'list', 'tables']);
  assert.equal(r.stdout.trim(), `table bridge ${lab.prefix}_ap`);
});

test('a partitioned node loses all traffic while its link stays up, and heal restores it', async () => {
  await lab.partition('pi1');
  try {
    assert.equal(await pings(lab, 'desktop', lab.node('pi1').ipv4), false);
    const link = await lab.exec('pi1', ['ip', '-j', 'link', 'show', 'eth0']);
    assert.equal((JSON.parse(link.stdout) as { operstate: string }[])[0]!.operstate, 'UP');
  } finally {
    await lab.heal('pi1');
  }
  assert.equal(await pings(lab, 'desktop', lab.node('pi1').ipv4), true);
});

test('kill ends every process in a node\'s namespace, including ones started with spawn', async () => {
  const child = lab.spawn('pi3', ['sleep', '60']);
  await new Promise((resolve) => child.once('spawn', resolve));
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  assert.ok((await lab.kill('pi3')) >= 1);
  assert.equal(await exited, 'SIGKILL');
});

test('a capture on the AP side of a port sees the frames the node sends', async () => {
  const capture = await lab.capture({ port: 'pi2' }, 'icmp');
  try {
    await lab.exec('pi2', ['ping', '-c', '1', '-W', '1', '192.168.1.1']);
    const line = await capture.waitFor((l) => l.includes('ICMP echo request'), 2000);
    assert.ok(line.includes(lab.node('pi2').mac), line);
  } finally {
    await capture.stop();
  }
});

test('behaviours can only be set on WiFi ports, with known names and valid values', async () => {
  await assert.rejects(lab.setBehaviour('pi1', { proxyArp: false }), { code: 'lab-wired-port' });
  await assert.rejects(lab.setLoss('pi2', 101), { code: 'lab-bad-behaviour' });
  await assert.rejects(lab.setBehaviour('nobody', { loss: 1 }), { code: 'lab-unknown-node' });
});
