import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requireNetworkPrivileges } from '../support/root.js';
import { Segment, standaloneConfig, waitFor, type Member } from './netns.js';

// Another host on the segment already has the VIP configured. Its kernel answers the ARP probe
// and the DAD probe, so airlb reports a conflict and backs off instead of stealing the address;
// once the other host lets the address go, airlb claims it.
let seg: Segment | undefined;
let squatter: Member;
const VIP4 = '10.213.0.201';
const VIP6 = 'fd00:a1b:213::201';

before(async () => {
  requireNetworkPrivileges(['ip', 'arping']);
  seg = await Segment.create();
  await seg.init();
  await seg.add('client', 10);
  await seg.add('n1', 11);
  squatter = await seg.add('squat', 13);
  await seg.exec('squat', ['ip', 'addr', 'add', `${VIP4}/24`, 'dev', 'eth0']);
  await seg.exec('squat', ['ip', 'addr', 'add', `${VIP6}/64`, 'dev', 'eth0', 'nodad']);
});

after(async () => {
  await seg?.remove();
});

test('an address already used by another host is reported as a conflict, not taken, and claimed once it is free', async () => {
  const dir = await seg!.configDir('config', {
    'lan.yaml': standaloneConfig({ pool: ['10.213.0.200-10.213.0.209', 'fd00:a1b:213::200/125'], services: [{ name: 'web', dual: true, ip: `${VIP4},${VIP6}` }] }),
  });
  const speaker = seg!.speaker('n1', dir);
  const status = await waitFor('conflicts for both VIPs', async () => {
    const s = await speaker.status();
    const seen = new Set(s?.conflicts.map((c) => c.vip));
    return seen.has(VIP4) && seen.has(VIP6) ? s : undefined;
  }, 20_000);
  const v4 = status.conflicts.find((c) => c.vip === VIP4)!;
  const v6 = status.conflicts.find((c) => c.vip === VIP6)!;
  assert.deepEqual([v4.mac, v4.evidence, v4.action], [squatter.mac, 'arp-sender-is-vip', 'backoff']);
  assert.deepEqual([v6.mac, v6.evidence, v6.action], [squatter.mac, 'na-for-vip', 'backoff']);
  assert.ok(status.vips.every((v) => v.state !== 'claimed'), 'neither VIP is claimed');
  assert.match(speaker.logs, /address conflict/);

  const arping = await seg!.exec('client', ['arping', '-c', '3', '-w', '3', '-I', 'eth0', VIP4], 10_000);
  const macs = new Set([...arping.stdout.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase()));
  assert.deepEqual([...macs], [squatter.mac], 'only the host that has the address answers');

  await seg!.exec('squat', ['ip', 'addr', 'del', `${VIP4}/24`, 'dev', 'eth0']);
  await seg!.exec('squat', ['ip', 'addr', 'del', `${VIP6}/64`, 'dev', 'eth0']);
  await speaker.waitVip(VIP4, 'claimed', 40_000);
  await speaker.waitVip(VIP6, 'claimed', 40_000);
  assert.equal(await speaker.stop(), 0);
});
